package dev.shallow;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A second JVM on the test classpath, for what needs a real process: a lock held elsewhere, SIGKILL at a random moment. */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** {@code java MAIN ARGS} with the test's classpath, the project's JVM flags and the shared data. */
    public static ProcessBuilder of(Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true",
                "-XX:+UseSerialGC", "-Xmx1g", "-Xshare:auto",
                "-Dshallow.shared=" + Shared.root().toAbsolutePath(), "-Dshallow.home=" + Path.of("").toAbsolutePath(),
                "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }
}
