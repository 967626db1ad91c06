package dev.shallow.cli;

import dev.shallow.ShallowException;
import dev.shallow.Version;
import dev.shallow.tensor.Matmul;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.io.PrintWriter;

/** The {@code shallow} command line: subcommands wire the library's stages together. */
@Command(name = "shallow", mixinStandardHelpOptions = true, version = "shallow " + Version.VERSION,
        description = "Find, remove and heal the transformer layers an LLM does not need.",
        subcommands = {DemoCommand.class, InfoCommand.class, TokenizeCommand.class, GenerateCommand.class, ImportLlama2cCommand.class, ConvertCommand.class,
                AnalyseCommand.class, PlanCommand.class, PruneCommand.class, EvalCommand.class, HealCommand.class, SweepCommand.class,
                ReportCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the CLI and returns the exit code ({@link ExitCode}). Every failure prints one line on stderr: "shallow: FILE: problem"
     * for bad input, "shallow: problem (see 'shallow CMD --help')" for a bad command line.
     */
    public static int run(String... args) {
        PrintStream stderr = System.err;
        LineTrackingStream tracked = new LineTrackingStream(stderr);
        PrintStream err = new PrintStream(tracked, true, stderr.charset());
        System.setErr(err);
        try {
            CommandLine cli = new CommandLine(new Main()).setErr(new PrintWriter(err, true));
            Ranges.registerFiniteNumbers(cli);
            cli.setParameterExceptionHandler((e, parsed) -> usage(e.getCommandLine(), e.getMessage(), tracked));
            cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
                if (e instanceof CommandLine.ParameterException p) return usage(p.getCommandLine(), p.getMessage(), tracked);
                if (e instanceof ShallowException || e instanceof IllegalArgumentException) return fail(cmd, e.getMessage(), e, ExitCode.ERROR, tracked);
                return fail(cmd, "internal error: " + e, e, ExitCode.INTERNAL, tracked);
            });
            try {
                return cli.execute(args);
            } catch (OutOfMemoryError e) {
                return fail(cli, "out of memory (" + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB of heap): give the JVM more "
                        + "(SHALLOW_JVM_OPTS=-Xmx...) or ask for less (--memory-budget, --batch, --samples)", e, ExitCode.ERROR, tracked);
            }
        } finally {
            System.setErr(stderr);
            Matmul.restoreDefaults();
        }
    }

    /** A bad command line: its first line and where the help is. */
    private static int usage(CommandLine cmd, String message, LineTrackingStream tracked) {
        String first = message == null ? "invalid command line" : message.strip().lines().findFirst().orElse("invalid command line");
        return fail(cmd, first + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')", null, ExitCode.USAGE, tracked);
    }

    /** The one line of a failure, on a line of its own (after a progress line left open). */
    private static int fail(CommandLine cmd, String line, Throwable e, int code, LineTrackingStream tracked) {
        PrintWriter err = cmd.getErr();
        if (tracked.lineOpen()) err.println();
        err.println("shallow: " + line.lines().findFirst().orElse(""));
        if (e != null && System.getenv("SHALLOW_DEBUG") != null) e.printStackTrace(err);
        err.flush();
        return code;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (try: shallow demo, shallow --help)");
    }
}
