package dev.shallow.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Shared;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The float64 reference (../shared/tools/refllama.py) run on weights this test masks: each variant zeroes column ranges
 * [from, to) of named matrices (a head's slice of o_proj's input; all of o_proj or down_proj for a removed sub-block)
 * in the reference's own copy of the weights, then runs it on every sequence. For each variant: the calibration loss
 * (mean NLL over every predicted token, pooled) and, when asked, the residual streams entering each layer.
 */
final class MaskedReference {
    /** Zero columns [from, to) of {@code tensor}. */
    record Mask(String tensor, int from, int to) {
        static Mask all(String tensor) {
            return new Mask(tensor, 0, Integer.MAX_VALUE);
        }
    }

    /** One masked forward: the masks, the layers to run (null: all), and whether to return its residual streams. */
    record Variant(List<Mask> masks, int[] layers, boolean streams) {
        Variant(List<Mask> masks, int[] layers) {
            this(masks, layers, false);
        }
    }

    private static final String SCRIPT = String.join("\n",
            "import sys, json, torch",
            "sys.path.insert(0, sys.argv[1])",
            "from refllama import Ref",
            "spec = json.load(sys.stdin)",
            "r = Ref(spec['dir'], dtype=torch.float64)",
            "orig = {k: v.clone() for k, v in r.W.items()}",
            "out = []",
            "for var in spec['variants']:",
            "    r.W = {k: v.clone() for k, v in orig.items()}",
            "    for name, a, b in var['masks']:",
            "        r.W[name][:, a:min(b, r.W[name].shape[1])] = 0",
            "    nll = 0.0; n = 0; streams = []",
            "    for ids in spec['seqs']:",
            "        logits, hs = r.forward(ids, var['layers'])",
            "        lp = torch.log_softmax(logits, -1)",
            "        nll -= sum(lp[t, ids[t + 1]].item() for t in range(len(ids) - 1)); n += len(ids) - 1",
            "        if var['streams']: streams.append([h.tolist() for h in hs])",
            "    out.append({'loss': nll / n, 'streams': streams})",
            "print(json.dumps(out))");

    private MaskedReference() {
    }

    /** Per variant, {"loss": .., "streams": [per sequence [per point [T][hidden]]]} (streams only when asked). */
    static JsonNode run(Path model, int[][] seqs, List<Variant> variants) throws IOException, InterruptedException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode spec = json.createObjectNode();
        spec.put("dir", model.toString());
        spec.set("seqs", json.valueToTree(seqs));
        ArrayNode vs = spec.putArray("variants");
        for (Variant v : variants) {
            ObjectNode o = vs.addObject();
            ArrayNode masks = o.putArray("masks");
            for (Mask m : v.masks()) masks.addArray().add(m.tensor()).add(m.from()).add(m.to());
            o.set("layers", v.layers() == null ? json.nullNode() : json.valueToTree(v.layers()));
            o.put("streams", v.streams());
        }
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", SCRIPT, Shared.root().resolve("tools").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (var in = p.getOutputStream()) {
            in.write(json.writeValueAsBytes(spec));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException("refllama.py failed (is python3-torch installed?)");
        return json.readTree(out);
    }

    static String attention(int layer, String proj) {
        return "model.layers." + layer + ".self_attn." + proj + ".weight";
    }

    static String mlp(int layer, String proj) {
        return "model.layers." + layer + ".mlp." + proj + ".weight";
    }
}
