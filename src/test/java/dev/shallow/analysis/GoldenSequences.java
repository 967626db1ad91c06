package dev.shallow.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;

import java.io.IOException;

/** The four token sequences of golden/MODEL/inputs.json (7, 16, 33 and 64 ids), as a calibration set. */
final class GoldenSequences {
    private GoldenSequences() {
    }

    static int[][] of(String model) throws IOException {
        JsonNode seqs = new ObjectMapper().readTree(Shared.golden(model).resolve("inputs.json").toFile()).path("sequences");
        int[][] out = new int[seqs.size()][];
        for (int s = 0; s < out.length; s++) {
            JsonNode ids = seqs.get(s).path("ids");
            out[s] = new int[ids.size()];
            for (int i = 0; i < out[s].length; i++) out[s][i] = ids.get(i).asInt();
        }
        return out;
    }
}
