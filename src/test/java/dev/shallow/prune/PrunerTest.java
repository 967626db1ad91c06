package dev.shallow.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.RefLlama;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.Version;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.TensorInfo;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A pruned checkpoint is the source model with layers skipped: same logits, same bytes, same config but the layer fields. */
class PrunerTest {
    static final int[] IDS = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376};
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** stories-16L with per-layer config arrays added, so the cut can be checked. */
    Path storiesWithLayerArrays() throws IOException {
        Path src = Shared.copyModel(Shared.model("stories-16L"), tmp.resolve("src"));
        ObjectNode config = (ObjectNode) JSON.readTree(src.resolve("config.json").toFile());
        ArrayNode types = config.putArray("layer_types"), noRope = config.putArray("no_rope_layers");
        for (int l = 0; l < 16; l++) {
            types.add(l % 3 == 0 ? "full_attention" : "sliding_attention");
            noRope.add(100 + l);
        }
        config.put("max_window_layers", 10);
        Files.writeString(src.resolve("config.json"), config.toPrettyString());
        return src;
    }

    @Test
    void stories16LWithoutLayers6To9() throws Exception {
        Path src = storiesWithLayerArrays(), out = tmp.resolve("out");
        int[] removed = {6, 7, 8, 9};
        PruneResult r = Pruner.prune(src, removed, PruningRecord.explicit(), out, false);
        assertExact(src, out, removed);
        assertEquals(16, r.layersBefore());
        assertEquals(12, r.layersAfter());
        long perLayer = 2 * 128 + 128 * 128 * 2 + 2 * 64 * 128 + 3 * 352 * 128;
        assertEquals(r.parametersBefore() - 4 * perLayer, r.parametersAfter());
        assertEquals(List.of("config.json", "generation_config.json", "model.safetensors", Pruner.RECORD, "tokenizer.json", "tokenizer_config.json"),
                r.files());
        assertEquals(Files.size(out.resolve("model.safetensors")), r.weightBytesAfter());
        for (String f : List.of("generation_config.json", "tokenizer.json", "tokenizer_config.json")) {
            assertEquals(-1, Files.mismatch(src.resolve(f), out.resolve(f)), f + " copied as is");
        }

        assertEquals(Set.of("num_hidden_layers", "layer_types", "no_rope_layers", "max_window_layers"), changedKeys(src, out));
        JsonNode after = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals(12, after.get("num_hidden_layers").intValue());
        assertEquals("[100,101,102,103,104,105,110,111,112,113,114,115]", after.get("no_rope_layers").toString());
        assertEquals("[\"full_attention\",\"sliding_attention\",\"sliding_attention\",\"full_attention\",\"sliding_attention\",\"sliding_attention\","
                + "\"sliding_attention\",\"sliding_attention\",\"full_attention\",\"sliding_attention\",\"sliding_attention\",\"full_attention\"]",
                after.get("layer_types").toString(), "old layers 0-5, 10-15");
        assertEquals(6, after.get("max_window_layers").intValue(), "kept layers below old 10: 0-5");

        JsonNode record = JSON.readTree(out.resolve(Pruner.RECORD).toFile());
        assertEquals("[6,7,8,9]", record.get("removed").toString());
        assertEquals("[0,1,2,3,4,5,10,11,12,13,14,15]", record.get("kept").toString());
        assertEquals(4, record.get("n").intValue());
        assertEquals("explicit", record.get("strategy").asText());
        assertEquals(16, record.get("source").get("num_layers").intValue());
        assertEquals(Version.VERSION, record.get("shallow_version").asText());
    }

    @Test
    void shardedBf16Qwen2WithoutLayers3And7() throws Exception {
        Path src = Shared.model("tiny-qwen2-random"), out = tmp.resolve("out");
        int[] removed = {3, 7};
        Pruner.prune(src, removed, PruningRecord.explicit(), out, false);
        assertExact(src, out, removed);

        JsonNode index = JSON.readTree(out.resolve(Checkpoint.INDEX).toFile());
        Set<String> shards = new HashSet<>();
        long total = 0;
        try (Checkpoint ck = Checkpoint.open(out)) {
            for (var e : index.get("weight_map").properties()) {
                String shard = e.getValue().asText();
                shards.add(shard);
                assertEquals(out.resolve(shard), ck.file(e.getKey()).path(), e.getKey());
                TensorInfo t = ck.info(e.getKey());
                total += t.end() - t.begin();
            }
            assertEquals(ck.names().size(), index.get("weight_map").size());
        }
        assertEquals(Set.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"), shards);
        assertEquals(total, index.get("metadata").get("total_size").longValue());
        assertEquals(Set.of("num_hidden_layers"), changedKeys(src, out));
    }

    @Test
    void replacesOnlyAnOutputItWroteAndOnlyWhenForced() throws IOException {
        Path src = Shared.model("stories260K"), out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        ShallowException e = assertThrows(ShallowException.class, () -> Pruner.prune(src, new int[]{1}, PruningRecord.explicit(), out, true));
        assertTrue(e.getMessage().contains("not written by shallow"), e.getMessage());
        assertEquals(List.of("out"), listing(tmp), "no temporary directory left beside OUT");
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
        Files.delete(out.resolve("keep.txt"));
        Pruner.prune(src, new int[]{1}, PruningRecord.explicit(), out, false);
        e = assertThrows(ShallowException.class, () -> Pruner.prune(src, new int[]{2}, PruningRecord.explicit(), out, false));
        assertTrue(e.getMessage().contains("add --force"), e.getMessage());
        Pruner.prune(src, new int[]{2}, PruningRecord.explicit(), out, true);
        assertEquals(4, ModelConfig.load(out).numLayers());
        assertEquals(List.of("out"), listing(tmp));
    }

    @Test
    void refusesBadLayerSetsBeforeWritingAnything() {
        Path src = Shared.model("stories260K"), out = tmp.resolve("out");
        for (int[] removed : new int[][]{{0, 1, 2, 3, 4}, {5}, {-1}, {2, 2}, {}}) {
            assertThrows(ShallowException.class, () -> Pruner.prune(src, removed, PruningRecord.explicit(), out, false));
        }
        assertThrows(ShallowException.class, () -> Pruner.prune(src, new int[]{1}, PruningRecord.explicit(), src, true), "OUT = MODEL");
        assertFalse(Files.exists(out));
    }

    @Test
    void prunedTwiceRecordsBothSteps() throws IOException {
        Path once = tmp.resolve("once"), twice = tmp.resolve("twice");
        Pruner.prune(Shared.model("stories260K"), new int[]{1}, PruningRecord.explicit(), once, false);
        Pruner.prune(once, new int[]{0}, PruningRecord.explicit(), twice, false);
        JsonNode record = JSON.readTree(twice.resolve(Pruner.RECORD).toFile());
        assertEquals("[0]", record.get("removed").toString());
        assertEquals("[1]", record.get("source_pruning").get("removed").toString());
        assertEquals(3, ModelConfig.load(twice).numLayers());
    }

    static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * The pruned directory: loads; every tensor is byte-identical to the one it came from; its logits equal the
     * source run with the layers skipped within 1e-5 (the same weights through the same code, but not
     * bit-identical: the Vector API's float reduceLanes(ADD) order differs between JIT tiers, and one Transformer
     * run 30 times on stories-16L gives logits up to 4.2e-6 apart between its first and later runs); the reference
     * loads it and agrees within 1e-4 (float32 vs float64, the README's tolerance).
     */
    static void assertExact(Path src, Path out, int[] removed) throws Exception {
        float[] pruned;
        int[] kept;
        try (Model full = Model.load(src); Model small = Model.load(out)) {
            int numLayers = full.config().numLayers();
            kept = Transformer.without(numLayers, removed);
            assertEquals(kept.length, small.config().numLayers());
            Transformer skipping = new Transformer(full, kept), whole = new Transformer(small);
            float[] want = skipping.forward(IDS, skipping.newCache(IDS.length), true);
            pruned = whole.forward(IDS, whole.newCache(IDS.length), true);
            for (int i = 0; i < want.length; i++) assertEquals(want[i], pruned[i], 1e-5, "pruned checkpoint vs source with layers skipped, logit " + i);
            assertSameBytes(full.checkpoint(), small.checkpoint(), kept);
        }
        float[] ref = RefLlama.logits(out, IDS, null);
        assertEquals(ref.length, pruned.length);
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], pruned[i], 1e-4, "reference on the pruned checkpoint, logit " + i);
    }

    static void assertSameBytes(Checkpoint source, Checkpoint pruned, int[] kept) {
        Set<String> expected = new TreeSet<>();
        for (String name : source.names()) {
            String newName = name;
            if (name.startsWith("model.layers.")) {
                String[] parts = name.split("\\.", 4);
                int newIndex = Arrays.binarySearch(kept, Integer.parseInt(parts[2]));
                if (newIndex < 0) continue;
                newName = "model.layers." + newIndex + "." + parts[3];
            }
            expected.add(newName);
            TensorInfo a = source.info(name), b = pruned.info(newName);
            assertTrue(b != null, newName + " missing");
            assertEquals(a.dtype(), b.dtype(), newName);
            assertArrayEquals(a.shape(), b.shape(), newName);
            assertEquals(-1, source.file(name).bytes(name).mismatch(pruned.file(newName).bytes(newName)), newName + " bytes");
        }
        assertEquals(expected, new TreeSet<>(pruned.names()));
    }

    /** The config.json keys whose values differ between the source and the pruned model (which must keep every key, in order). */
    static Set<String> changedKeys(Path src, Path out) throws IOException {
        JsonNode before = JSON.readTree(src.resolve("config.json").toFile()), after = JSON.readTree(out.resolve("config.json").toFile());
        Set<String> changed = new TreeSet<>();
        before.properties().forEach(e -> {
            if (!e.getValue().equals(after.get(e.getKey()))) changed.add(e.getKey());
        });
        List<String> keysBefore = new ArrayList<>(), keysAfter = new ArrayList<>();
        before.fieldNames().forEachRemaining(keysBefore::add);
        after.fieldNames().forEachRemaining(keysAfter::add);
        assertEquals(keysBefore, keysAfter, "the same keys in the same order");
        return changed;
    }
}
