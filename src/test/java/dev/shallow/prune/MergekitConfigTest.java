package dev.shallow.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.TensorInfo;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.family.Families;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.function.Function;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The mergekit YAML parses, and applying its slices the way mergekit's passthrough does (the slices' layers stacked in
 * order and renumbered from 0, every other tensor from the first slice's model) to the source gives, tensor by tensor
 * and byte for byte, the checkpoint {@link Pruner} writes.
 */
class MergekitConfigTest {
    static final YAMLMapper YAML = new YAMLMapper();

    @TempDir
    Path tmp;

    /** The removals {6-9}, {0,3,14}, {15} of a 16-layer model, written for any depth: a block, scattered layers with the second-to-last, the last alone. */
    static int[][] removals(int numLayers) {
        return new int[][]{{6, 7, 8, 9}, {0, 3, numLayers - 2}, {numLayers - 1}};
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories-16L", "tiny-gemma3-random"})
    void slicesRebuildThePrunedCheckpointTensorByTensor(String name) throws IOException {
        Path src = Shared.model(name);
        int numLayers = ModelConfig.load(src).numLayers();
        for (int[] removed : removals(numLayers)) {
            String label = name + "-" + Layers.format(removed);
            Path out = tmp.resolve(label), file = tmp.resolve(label + ".yaml");
            Pruner.prune(src, removed, PruningRecord.explicit(), out, false);
            MergekitConfig.write(file, MergekitConfig.yaml(src, Layers.kept(removed, numLayers), PruningRecord.EXPLICIT));
            JsonNode yaml = YAML.readTree(file.toFile());
            assertEquals("passthrough", yaml.get("merge_method").asText());
            assertEquals(ModelConfig.load(src).torchDtype(), yaml.get("dtype").asText());
            try (Checkpoint pruned = Checkpoint.open(out)) {
                assertSlicesRebuild(yaml, pruned, label);
            }
        }
    }

    /** Applies the slices of {@code yaml} to the checkpoints they name and compares the result with {@code pruned}. */
    static void assertSlicesRebuild(JsonNode yaml, Checkpoint pruned, String label) {
        Map<Path, Checkpoint> opened = new HashMap<>();
        try {
            assertSameTensors(applySlices(yaml, p -> opened.computeIfAbsent(p, Checkpoint::open)), pruned, label);
        } finally {
            opened.values().forEach(Checkpoint::close);
        }
    }

    record Source(Checkpoint ck, String tensor) {
    }

    /**
     * New tensor name -> where mergekit's passthrough takes it from: the layers of each slice in order, renumbered from 0;
     * the tensors outside the layers from the first slice's model.
     */
    static Map<String, Source> applySlices(JsonNode yaml, Function<Path, Checkpoint> open) {
        Map<String, Source> out = new TreeMap<>();
        int next = 0;
        JsonNode slices = yaml.get("slices");
        for (int s = 0; s < slices.size(); s++) {
            assertEquals(1, slices.get(s).get("sources").size(), "one source per slice");
            JsonNode source = slices.get(s).get("sources").get(0), range = source.get("layer_range");
            Checkpoint ck = open.apply(Path.of(source.get("model").asText()));
            String prefix = Families.of(ModelConfig.load(ck.dir())).names(ck::has).layerPrefix();
            Pattern layerTensor = Pattern.compile(Pattern.quote(prefix) + "(\\d+)(\\..+)");
            int start = range.get(0).intValue(), end = range.get(1).intValue();
            for (String name : ck.names()) {
                Matcher m = layerTensor.matcher(name);
                if (!m.matches()) {
                    if (s == 0) out.put(name, new Source(ck, name));
                    continue;
                }
                int layer = Integer.parseInt(m.group(1));
                if (layer >= start && layer < end) out.put(prefix + (next + layer - start) + m.group(2), new Source(ck, name));
            }
            next += end - start;
        }
        return out;
    }

    /** The pruned checkpoint holds exactly the tensors {@code expected} names, each with its source's dtype, shape and bytes. */
    static void assertSameTensors(Map<String, Source> expected, Checkpoint pruned, String label) {
        assertEquals(expected.keySet(), pruned.names(), label + ": tensor names");
        expected.forEach((to, source) -> {
            Checkpoint ck = source.ck();
            String from = source.tensor();
            TensorInfo a = ck.info(from), b = pruned.info(to);
            assertEquals(a.dtype(), b.dtype(), label + ": " + to);
            assertArrayEquals(a.shape(), b.shape(), label + ": " + to);
            assertEquals(-1, ck.file(from).bytes(from).mismatch(pruned.file(to).bytes(to)), label + ": bytes of " + to + " (from " + from + ")");
        });
    }

    /** The layer_range pairs of the YAML's slices. */
    static List<List<Integer>> ranges(String yaml) throws IOException {
        List<List<Integer>> ranges = new ArrayList<>();
        for (JsonNode slice : YAML.readTree(yaml).get("slices")) {
            JsonNode r = slice.get("sources").get(0).get("layer_range");
            ranges.add(List.of(r.get(0).intValue(), r.get(1).intValue()));
        }
        return ranges;
    }

    static String yaml(String model, int... removed) {
        Path src = Shared.model(model);
        return MergekitConfig.yaml(src, Layers.kept(removed, ModelConfig.load(src).numLayers()), PruningRecord.EXPLICIT);
    }

    @Test
    void oneSlicePerRunOfKeptLayersWithHalfOpenRanges() throws IOException {
        assertEquals(List.of(List.of(0, 6), List.of(10, 16)), ranges(yaml("stories-16L", 6, 7, 8, 9)), "one contiguous removal: two slices");
        assertEquals(List.of(List.of(1, 3), List.of(4, 14), List.of(15, 16)), ranges(yaml("stories-16L", 0, 3, 14)));
        assertEquals(List.of(List.of(0, 15)), ranges(yaml("stories-16L", 15)));
        assertEquals(List.of(List.of(0, 16)), ranges(yaml("stories-16L")), "none removed: one slice");
    }

    @Test
    void headerSaysWhatWasRemovedAndThatRangesAreHalfOpen() {
        String y = yaml("stories-16L", 6, 7, 8, 9);
        assertTrue(y.startsWith("# mergekit passthrough merge written by shallow"), y);
        assertTrue(y.contains("layer_range: [start, end] is half-open (layers start to end-1), 0-indexed"), y);
        assertTrue(y.contains("# removed 4 of 16 layers (0-indexed, inclusive ranges): 6-9; strategy: \"explicit\"; kept 12 layers in 2 slices"), y);
        assertTrue(y.contains("      - model: \"" + Shared.model("stories-16L").toAbsolutePath().normalize() + "\"\n"), y);
        assertTrue(y.endsWith("merge_method: passthrough\ndtype: \"float32\"\n"), y);
        assertFalse(y.contains("WARNING"), "a Llama has no per-layer settings mergekit would leave uncut");
        assertTrue(yaml("stories-16L").contains("removed 0 of 16 layers (0-indexed, inclusive ranges): none"));
    }

    @Test
    void warnsOfThePerLayerSettingsMergekitLeavesUncut() {
        assertEquals(List.of("layer_types"), uncut("tiny-gemma3-random", 6));
        assertEquals(List.of("no_rope_layers", "layer_types"), uncut("tiny-smollm3-random", 6));
        assertEquals(List.of("max_window_layers", "layer_types"), uncut("tiny-qwen2-swa-random", 2), "layer types derived from max_window_layers, written out");
        assertEquals(List.of(), uncut("tiny-gemma3-random"), "nothing removed: mergekit's output is the source");
        String y = yaml("tiny-gemma3-random", 6);
        assertTrue(y.contains("# WARNING: mergekit's passthrough writes only num_hidden_layers into config.json; it leaves layer_types"), y);
    }

    static List<String> uncut(String model, int... removed) {
        Path src = Shared.model(model);
        ModelConfig config = ModelConfig.load(src);
        return MergekitConfig.uncut(src, config, Layers.kept(removed, config.numLayers()));
    }

    @Test
    void refusesAPlanRemovingEveryLayerAndBadKeptLists() {
        Path src = Shared.model("stories-16L");
        int[] all = IntStream.range(0, 16).toArray();
        Plan everything = new Plan(new ModelIdentity(src.toString(), "LlamaForCausalLM", 16, 128, 0, "f"), 16, "sequential", 16, null, null, null,
                new Selection(all, "none", new double[0]));
        ShallowException e = assertThrows(ShallowException.class, () -> MergekitConfig.yaml(src, everything.kept(), everything.strategy()));
        assertTrue(e.getMessage().contains("at least one layer must stay"), e.getMessage());
        for (int[] kept : new int[][]{{3, 2}, {1, 1}, {-1, 0}, {15, 16}}) {
            assertThrows(ShallowException.class, () -> MergekitConfig.yaml(src, kept, PruningRecord.EXPLICIT));
        }
    }
}
