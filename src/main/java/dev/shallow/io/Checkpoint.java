package dev.shallow.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.ShallowException;
import dev.shallow.tensor.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights of a Hugging Face model directory: {@code model.safetensors}, or shards listed in
 * {@code model.safetensors.index.json}'s weight_map. A directory holding both loads the single file, as Hugging Face's
 * {@code from_pretrained} does.
 */
public final class Checkpoint implements Weights {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Path dir;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byTensor;

    private Checkpoint(Path dir, List<SafetensorsFile> files, Map<String, SafetensorsFile> byTensor) {
        this.dir = dir;
        this.files = files;
        this.byTensor = byTensor;
    }

    public static Checkpoint open(Path dir) {
        Path index = dir.resolve(INDEX), single = dir.resolve(SINGLE);
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            if (sharded(dir)) {
                JsonNode map = StrictJson.readObject(index).path("weight_map");
                if (!map.isObject()) throw ShallowException.at(index, "has no weight_map object");
                Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> e : map.properties()) {
                    String shard = shardName(index, e.getKey(), e.getValue());
                    SafetensorsFile f = shards.get(shard);
                    if (f == null) {
                        Path p = dir.resolve(shard);
                        if (!Files.exists(InputFiles.requireRegular(p))) throw ShallowException.at(index, "lists shard '" + shard + "' which does not exist");
                        f = SafetensorsFile.open(p);
                        shards.put(shard, f);
                        files.add(f);
                    }
                    if (!f.tensors().containsKey(e.getKey())) {
                        throw ShallowException.at(f.path(), "tensor '" + e.getKey() + "' listed in " + INDEX + " is not in this shard");
                    }
                    byTensor.put(e.getKey(), f);
                }
            } else if (Files.exists(single)) {
                SafetensorsFile f = SafetensorsFile.open(single);
                files.add(f);
                for (String name : f.tensors().keySet()) byTensor.put(name, f);
            } else {
                throw ShallowException.at(dir, "no " + SINGLE + " or " + INDEX + " found");
            }
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
        return new Checkpoint(dir, files, byTensor);
    }

    /** True when {@code dir}'s weights are shards listed in an index: an index and no single {@code model.safetensors} (which Hugging Face prefers). */
    public static boolean sharded(Path dir) {
        return Files.exists(dir.resolve(INDEX)) && !Files.exists(dir.resolve(SINGLE));
    }

    /** A weight_map value: the file name of a shard in the same directory. */
    private static String shardName(Path index, String tensor, JsonNode value) {
        String shard = value.isTextual() ? value.textValue() : "";
        if (shard.isEmpty() || shard.contains("/") || shard.contains("\0") || shard.equals(".") || shard.equals("..")) {
            throw ShallowException.at(index, "weight_map entry for '" + tensor + "' is " + value + ", not a file name in this directory");
        }
        return shard;
    }

    public Path dir() {
        return dir;
    }

    @Override
    public Path path() {
        return dir;
    }

    @Override
    public Stored stored(String name) {
        return new Stored(info(name).dtype().name(), info(name).elements());
    }

    @Override
    public Set<String> names() {
        return byTensor.keySet();
    }

    @Override
    public boolean has(String name) {
        return byTensor.containsKey(name);
    }

    public TensorInfo info(String name) {
        SafetensorsFile f = byTensor.get(name);
        return f == null ? null : f.tensors().get(name);
    }

    /** The file holding tensor {@code name} (a shard when sharded), or null if absent. */
    public SafetensorsFile file(String name) {
        return byTensor.get(name);
    }

    /** The tensor; a missing one is an error naming the directory and the tensor. */
    @Override
    public Tensor tensor(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) throw ShallowException.at(dir, "tensor '" + name + "' required by config.json is missing from the checkpoint");
        return f.tensor(name);
    }

    /**
     * Refuses weights holding NaN or an infinity, naming the first such tensor and element: a model with them computes
     * NaN everywhere. Reads every float tensor once (the cost of paging the checkpoint in).
     */
    @Override
    public void requireFinite() {
        for (Map.Entry<String, SafetensorsFile> e : byTensor.entrySet()) {
            TensorInfo t = e.getValue().tensors().get(e.getKey());
            NonFinite.require(e.getValue().path(), e.getKey(), t.dtype(), t.shape(), e.getValue().bytes(e.getKey()));
        }
    }

    /** Bytes of all safetensors files on disk. */
    @Override
    public long bytesOnDisk() {
        return files.stream().mapToLong(SafetensorsFile::fileSize).sum();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
