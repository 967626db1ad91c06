package dev.shallow.cli;

import dev.shallow.ShallowException;
import dev.shallow.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code shallow} command line: subcommands wire the library's stages together. */
@Command(name = "shallow", mixinStandardHelpOptions = true, version = "shallow " + Version.VERSION,
        description = "Find, remove and heal the transformer layers an LLM does not need.",
        subcommands = {DemoCommand.class, InfoCommand.class, TokenizeCommand.class, GenerateCommand.class, ImportLlama2cCommand.class,
                AnalyseCommand.class, PlanCommand.class, PruneCommand.class, EvalCommand.class, HealCommand.class, SweepCommand.class,
                ReportCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI; input errors print one line "shallow: FILE: problem" and return 1. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof ShallowException || e instanceof IllegalArgumentException) {
                err.println("shallow: " + e.getMessage());
            } else {
                err.println("shallow: internal error: " + e);
            }
            if (System.getenv("SHALLOW_DEBUG") != null) e.printStackTrace(err);
            err.flush();
            return e instanceof ShallowException || e instanceof IllegalArgumentException ? 1 : 2;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (try: shallow demo, shallow --help)");
    }
}
