package dev.shallow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.SafetensorsWriter;
import dev.shallow.io.SafetensorsWriter.Entry;
import dev.shallow.tensor.BF16Tensor;
import dev.shallow.tensor.Parallel;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A Hugging Face Llama directory (or another family's config.json over the same tensors) with seeded random BF16
 * weights, for benchmarks: config.json, model.safetensors (written streaming and atomically), a tokenizer.json so
 * tools load it, and a marker recording the shape and seed. Matrices are N(0, 0.02²), norm weights 1 + N(0, 0.02²).
 * The weights are a function of (shape, seed) only: each run of {@value #CHUNK} elements of a
 * tensor draws from its own SplittableRandom seeded by (seed, tensor name, chunk index), so the
 * thread count does not matter.
 */
public final class RandomCheckpoint {
    public static final String MARKER = "shallow-random-checkpoint.json";
    static final int CHUNK = 1 << 16;
    private static final float STD = 0.02f;
    private static final ValueLayout.OfShort BF16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ObjectMapper JSON = new ObjectMapper();

    private RandomCheckpoint() {
    }

    /** {@code dir} holding this shape and seed: reused if its marker matches, else (re)written. Returns {@code dir}. */
    public static Path ensure(ModelShape shape, long seed, Path dir, Path tokenizerJson) {
        return ensure(shape, shape.configJson(), seed, dir, tokenizerJson);
    }

    /** {@code dir} holding this shape and seed under {@code config} (a config.json of the shape's tensors), reused if it matches. */
    public static Path ensure(ModelShape shape, JsonNode config, long seed, Path dir, Path tokenizerJson) {
        if (!matches(dir, shape, config, seed)) write(shape, config, seed, dir, tokenizerJson);
        return dir;
    }

    /** Whether {@code dir} was written by this class for exactly this shape and seed, and its config.json is {@code config}. */
    public static boolean matches(Path dir, ModelShape shape, JsonNode config, long seed) {
        Path marker = dir.resolve(MARKER), configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(marker) || !Files.isRegularFile(configFile) || !Files.isRegularFile(dir.resolve(Checkpoint.SINGLE))) return false;
        try {
            // compared as parsed text: a long written as 7 reads back as an int node
            return JSON.readTree(marker.toFile()).equals(JSON.readTree(marker(shape, seed).toString()))
                    && JSON.readTree(configFile.toFile()).equals(JSON.readTree(config.toString()));
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes (or replaces) {@code dir}; {@code tokenizerJson} may be null (no tokenizer is written). */
    private static void write(ModelShape shape, JsonNode config, long seed, Path dir, Path tokenizerJson) {
        AtomicFiles.writeDirectory(dir, true, tmp -> {
            AtomicFiles.writeJson(tmp.resolve("config.json"), config);
            if (tokenizerJson != null) Files.copy(tokenizerJson, tmp.resolve("tokenizer.json"));
            SafetensorsWriter.write(tmp.resolve(Checkpoint.SINGLE), shape.tensors(), null, (entry, dst) -> fill(entry, seed, dst));
            AtomicFiles.writeJson(tmp.resolve(MARKER), marker(shape, seed));
        });
    }

    /**
     * (Re)writes {@code to} as {@code from} (a directory this class wrote) with {@code config} as its config.json: the
     * weights and tokenizer are hard links to {@code from}'s (copies where the file system has no links), no marker.
     */
    public static Path withConfig(Path from, Path to, JsonNode config) {
        AtomicFiles.writeDirectory(to, true, tmp -> {
            AtomicFiles.writeJson(tmp.resolve("config.json"), config);
            for (String name : new String[]{Checkpoint.SINGLE, "tokenizer.json"}) {
                if (Files.isRegularFile(from.resolve(name))) link(from.resolve(name), tmp.resolve(name));
            }
        });
        return to;
    }

    private static void link(Path existing, Path link) throws IOException {
        try {
            Files.createLink(link, existing);
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(existing, link);
        }
    }

    private static JsonNode marker(ModelShape shape, long seed) {
        ObjectNode m = JSON.createObjectNode();
        m.put("generator", RandomCheckpoint.class.getName() + " v1");
        m.put("seed", seed);
        m.set("shape", JSON.valueToTree(shape));
        return m;
    }

    /** Fills one tensor's bytes, chunk by chunk, over the worker pool. */
    static void fill(Entry entry, long seed, MemorySegment dst) {
        long elements = dst.byteSize() / 2;
        boolean norm = entry.shape().length == 1;
        int chunks = Math.toIntExact((elements + CHUNK - 1) / CHUNK);
        Parallel.forEach(chunks, chunk -> {
            SplittableRandom rng = new SplittableRandom(chunkSeed(seed, entry.name(), chunk));
            long first = (long) chunk * CHUNK;
            short[] bits = new short[(int) Math.min(CHUNK, elements - first)];
            for (int i = 0; i < bits.length; i++) {
                float v = STD * (float) rng.nextGaussian();
                bits[i] = BF16Tensor.fromFloat(norm ? 1f + v : v);
            }
            MemorySegment.copy(bits, 0, dst, BF16_LE, first * 2, bits.length);
        });
    }

    private static long chunkSeed(long seed, String tensor, int chunk) {
        long golden = 0x9E3779B97F4A7C15L;
        return ((seed * golden) + tensor.hashCode()) * golden + chunk;
    }
}
