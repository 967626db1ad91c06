package dev.shallow.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.cluster.FileSources;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufWeights;
import dev.shallow.io.InputFiles;
import dev.shallow.io.StrictJson;
import dev.shallow.model.Model;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;

/**
 * Which model an analysis was computed on, so a plan or prune step can refuse an analysis of a
 * different model. {@code fingerprint}: sha256 over config.json and the safetensors headers (a GGUF file: its header).
 */
public record ModelIdentity(String path, String architecture, int numLayers, int hiddenSize, long parameters, String fingerprint) {

    /**
     * The identity of a loaded model (reads config.json and the safetensors headers again, not the weights); its path is the
     * URI a model fetched from a distributed filesystem came from.
     */
    public static ModelIdentity of(Model model) {
        return new ModelIdentity(FileSources.described(model.dir()), model.config().architecture(), model.config().numLayers(),
                model.config().hiddenSize(), model.parameterCount(), fingerprint(model.dir()));
    }

    /**
     * sha256 over the bytes of config.json, then of each safetensors file (model.safetensors, or the
     * shards of the index in name order) its 8-byte length prefix and JSON header: the header holds
     * every tensor's name, dtype, shape and offsets, so any change of layout changes the fingerprint. A GGUF file: sha256
     * of its header (magic to the start of the tensor data: metadata and tensor infos, the same role).
     */
    public static String fingerprint(Path dir) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            if (GgufWeights.isGguf(dir)) {
                try (GgufFile f = GgufFile.open(dir)) {
                    sha.update(f.header().toArray(ValueLayout.JAVA_BYTE));
                }
                return HexFormat.of().formatHex(sha.digest());
            }
            sha.update(InputFiles.readAllBytes(dir.resolve("config.json")));
            for (String file : safetensorsFiles(dir)) sha.update(header(dir.resolve(file)));
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw ShallowException.at(dir, "cannot read for its fingerprint: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> safetensorsFiles(Path dir) {
        if (!Checkpoint.sharded(dir)) return List.of(Checkpoint.SINGLE);
        Path index = dir.resolve(Checkpoint.INDEX);
        TreeSet<String> shards = new TreeSet<>();
        StrictJson.readObject(index).path("weight_map").forEach(v -> shards.add(v.asText()));
        return List.copyOf(shards);
    }

    /** The length prefix and header of a safetensors file (already validated by the loader). */
    private static byte[] header(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(InputFiles.requireRegular(file))) {
            byte[] prefix = in.readNBytes(8);
            long n = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] header = in.readNBytes(Math.toIntExact(n));
            ByteBuffer both = ByteBuffer.allocate(prefix.length + header.length).put(prefix).put(header);
            return both.array();
        }
    }

    /** Throws, naming both models, unless {@code other} is the same model (same fingerprint). */
    public void checkSameModelAs(ModelIdentity other) {
        if (!fingerprint.equals(other.fingerprint)) {
            throw new ShallowException("computed on model " + path + " (" + architecture + ", " + numLayers + " layers, fingerprint "
                    + fingerprint.substring(0, 12) + "), not on " + other.path + " (" + other.architecture + ", " + other.numLayers
                    + " layers, fingerprint " + other.fingerprint.substring(0, 12) + ")");
        }
    }

    /** The identity as analysis.json, plans and sweeps record it. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("path", path);
        o.put("architecture", architecture);
        o.put("num_layers", numLayers);
        o.put("hidden_size", hiddenSize);
        o.put("parameters", parameters);
        o.put("fingerprint", fingerprint);
        return o;
    }

    /** Reads what {@link #toJson} wrote. */
    public static ModelIdentity fromJson(JsonNode m) {
        return new ModelIdentity(m.path("path").asText(), m.path("architecture").asText(), m.path("num_layers").asInt(),
                m.path("hidden_size").asInt(), m.path("parameters").asLong(), m.path("fingerprint").asText());
    }
}
