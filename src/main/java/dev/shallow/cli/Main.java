package dev.shallow.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code shallow} command line: subcommands wire the library's stages together. */
@Command(name = "shallow", mixinStandardHelpOptions = true, version = "shallow 0.1.0",
        description = "Find, remove and heal the transformer layers an LLM does not need.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        return new CommandLine(new Main()).execute(args);
    }
}
