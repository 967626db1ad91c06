package dev.shallow.prune;

import dev.shallow.Shared;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A Python script of the test resources (resources/prune/) run on the float64 reference in ../shared/tools, writing float32
 * little-endian logits to a file the test reads back in order.
 */
final class RefScript {
    private final List<String> command = new ArrayList<>();
    private final Path out;
    private ByteBuffer logits;

    /** {@code python3 SCRIPT TOOLS_DIR OUT} for the resource {@code script}; add the cases' arguments with {@link #args}. */
    RefScript(String script, Path out) throws Exception {
        this.out = out;
        command.addAll(List.of("/usr/bin/python3", Path.of(RefScript.class.getResource(script).toURI()).toString(),
                Shared.root().resolve("tools").toString(), out.toString()));
    }

    RefScript args(String... args) {
        command.addAll(List.of(args));
        return this;
    }

    /** Runs the script (a failure shows its output) and opens what it wrote. */
    void run() throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), command.get(1) + " failed:\n" + log);
        logits = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The next {@code n} logits the script wrote. */
    float[] next(int n) {
        float[] v = new float[n];
        logits.asFloatBuffer().get(v);
        logits.position(logits.position() + 4 * n);
        return v;
    }
}
