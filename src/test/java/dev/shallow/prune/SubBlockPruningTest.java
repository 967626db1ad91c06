package dev.shallow.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sub-block removal against the float64 reference, whose masking is written on the test side (resources/prune/ref_subblocks.py
 * zeroes o_proj / down_proj in the reference's own weights): Shallow's {@link dev.shallow.transformer.SubBlocks} skipping on the
 * original, the reference on the Hugging Face checkpoint {@link Pruner} wrote (zeroed projections, a standard checkpoint), and
 * Shallow loading that checkpoint (which skips the recorded sub-blocks) all give the masked reference's logits (reference 1e-9,
 * Shallow 1e-4 in float32). Cases: stories-16L (trained Llama), tiny-phi-random (Phi-2: dense and fc2 biases, parallel block),
 * tiny-gemma2-random (post-norms), tiny-qwen2-random (sharded BF16), each with a whole layer removed too.
 */
class SubBlockPruningTest {
    private static final double TOL = 1e-4;

    @TempDir
    static Path tmp;

    record Case(String model, Removal removal, Path pruned) {
    }

    private static final List<Case> CASES = new ArrayList<>();
    private static RefScript reference;

    @BeforeAll
    static void pruneAndRunReference() throws Exception {
        reference = new RefScript("/prune/ref_subblocks.py", tmp.resolve("ref.bin"));
        add("stories-16L", new int[]{12}, new int[]{3, 9}, new int[]{5, 10});
        add("tiny-phi-random", new int[]{8}, new int[]{2}, new int[]{6});
        add("tiny-gemma2-random", new int[]{}, new int[]{1}, new int[]{4, 7});
        add("tiny-qwen2-random", new int[]{5}, new int[]{0, 9}, new int[]{11});
        reference.run();
    }

    private static void add(String model, int[] layers, int[] attention, int[] mlp) {
        int n = ModelConfig.load(Shared.model(model)).numLayers();
        Removal r = Removal.of(n, layers, attention, mlp, AbsentSubBlocks.none(n));
        Path out = tmp.resolve(model + "-sub");
        Pruner.prune(Shared.model(model), r, PruningRecord.explicit(), out, false);
        CASES.add(new Case(model, r, out));
        reference.args(Shared.model(model).toAbsolutePath().toString(), out.toString(), csv(r.kept()), csv(attention), csv(mlp));
    }

    private static String csv(int[] layers) {
        return layers.length == 0 ? "-" : String.join(",", Arrays.stream(layers).mapToObj(Integer::toString).toList());
    }

    @Test
    void skippingAndThePrunedCheckpointMatchTheMaskedReference() throws IOException {
        ObjectMapper json = new ObjectMapper();
        for (Case c : CASES) {
            JsonNode seqs = json.readTree(Shared.golden(c.model).resolve("inputs.json").toFile()).path("sequences");
            int[] kept = c.removal.kept();
            try (Model original = Model.load(Shared.model(c.model)); Model pruned = Model.load(c.pruned)) {
                Transformer skipping = new Transformer(original, kept, c.removal.subBlocks()), loaded = new Transformer(pruned);
                Transformer layersOnly = new Transformer(original, kept);
                for (int i = 0; i < kept.length; i++) {
                    assertEquals(Arrays.binarySearch(c.removal.attention(), kept[i]) < 0, loaded.runsAttention(i), c.model + " layer " + i + " attention");
                    assertEquals(Arrays.binarySearch(c.removal.mlp(), kept[i]) < 0, loaded.runsMlp(i), c.model + " layer " + i + " MLP");
                }
                int vocab = original.config().vocabSize();
                double worst = 0, subBlocksMatter = 0;
                for (JsonNode s : seqs) {
                    int[] ids = new int[s.path("ids").size()];
                    for (int i = 0; i < ids.length; i++) ids[i] = s.path("ids").get(i).asInt();
                    float[] a = skipping.forward(ids, skipping.newCache(ids.length), true);
                    float[] b = loaded.forward(ids, loaded.newCache(ids.length), true);
                    float[] whole = layersOnly.forward(ids, layersOnly.newCache(ids.length), true);
                    float[] refPruned = reference.next(ids.length * vocab), refMasked = reference.next(ids.length * vocab);
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(refMasked[i], refPruned[i], 1e-9, c.model + ": reference, pruned checkpoint vs masked original");
                        worst = Math.max(worst, Math.max(Math.abs(a[i] - refMasked[i]), Math.abs(b[i] - refMasked[i])));
                        subBlocksMatter = Math.max(subBlocksMatter, Math.abs(whole[i] - refMasked[i]));
                    }
                }
                assertTrue(worst <= TOL, c.model + ": max |dlogit| " + worst);
                assertTrue(subBlocksMatter > 100 * TOL, c.model + ": the removed sub-blocks change the logits (" + subBlocksMatter + ")");
                System.out.printf("%s without %s: Shallow skipping and Shallow on the zeroed checkpoint within %.1e of the masked reference%n",
                        c.model, c.removal.describeSubBlocks(), worst);
            }
        }
    }

    /** The record lists the sub-blocks in source indices; pruning the pruned checkpoint again carries them over. */
    @Test
    void recordListsSubBlocksAndRepruningKeepsThem() throws IOException {
        Case c = CASES.getFirst();
        JsonNode r = new ObjectMapper().readTree(c.pruned.resolve(Pruner.RECORD).toFile());
        assertEquals("[3,9]", r.path(AbsentSubBlocks.ATTENTION_KEY).toString());
        assertEquals("[5,10]", r.path(AbsentSubBlocks.MLP_KEY).toString());
        Path again = tmp.resolve("again");
        int n = c.removal.kept().length; // 15 layers (layer 12 removed): layers 3, 5, 9, 10 keep their index, then lose one with layer 0
        Pruner.prune(c.pruned, new int[]{0}, PruningRecord.explicit(), again, false);
        AbsentSubBlocks a = AbsentSubBlocks.of(again);
        assertEquals(n - 1, a.attention().length);
        assertTrue(a.attention()[2] && a.attention()[8] && a.mlp()[4] && a.mlp()[9], "sub-blocks of source layers 3, 9 and 5, 10 stay absent");
        assertEquals(4, countTrue(a.attention()) + countTrue(a.mlp()));
    }

    private static int countTrue(boolean[] b) {
        int n = 0;
        for (boolean x : b) n += x ? 1 : 0;
        return n;
    }

    /** A record listing a sub-block whose output projection is not zero is refused on load, naming the tensor. */
    @Test
    void nonZeroListedSubBlockIsRefused() throws IOException {
        Case c = CASES.getFirst();
        Path copy = Shared.copyModel(c.pruned, tmp.resolve("tampered"));
        ObjectNode r = (ObjectNode) new ObjectMapper().readTree(copy.resolve(Pruner.RECORD).toFile());
        r.putArray(AbsentSubBlocks.ATTENTION_KEY).add(3).add(4);
        Files.writeString(copy.resolve(Pruner.RECORD), r.toString());
        ShallowException e = assertThrows(ShallowException.class, () -> Model.load(copy).close());
        assertTrue(e.getMessage().contains("model.layers.4.self_attn.o_proj.weight") && e.getMessage().contains("not zero"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }
}
