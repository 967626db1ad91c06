package dev.shallow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Runs ../shared/tools/refllama.py (the independent PyTorch reference, float64) in a subprocess for
 * tests that need outputs the goldens do not hold: other layer subsets, checkpoints Shallow wrote.
 * Needs Debian's python3-torch, which .ci/run installs.
 */
public final class RefLlama {
    private RefLlama() {
    }

    /** Logits [T * vocab] of {@code ids} through {@code layers} (null = all) of the model in {@code dir}. */
    public static float[] logits(Path dir, int[] ids, int[] layers) throws IOException, InterruptedException {
        String script = String.join("\n",
                "import sys, json, torch",
                "sys.path.insert(0, sys.argv[1])",
                "from refllama import Ref",
                "r = Ref(sys.argv[2], dtype=torch.float64)",
                "ids = json.loads(sys.argv[3]); layers = json.loads(sys.argv[4])",
                "logits, _ = r.forward(ids, layers)",
                "print(json.dumps(logits.float().flatten().tolist()))");
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", script, Shared.root().resolve("tools").toString(),
                dir.toString(), Arrays.toString(ids), layers == null ? "null" : Arrays.toString(layers))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException("refllama.py failed (is python3-torch installed?)");
        JsonNode a = new ObjectMapper().readTree(out);
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) a.get(i).asDouble();
        return v;
    }

    public static String describe(int[] layers) {
        return Arrays.stream(layers).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }
}
