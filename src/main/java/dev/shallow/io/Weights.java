package dev.shallow.io;

import dev.shallow.tensor.Tensor;

import java.nio.file.Path;
import java.util.Set;

/** The named weight tensors of a model, memory-mapped: a Hugging Face checkpoint directory or a GGUF file. */
public interface Weights extends AutoCloseable {
    /** The model directory or file. */
    Path path();

    /** Tensor names as stored. */
    Set<String> names();

    boolean has(String name);

    /** The tensor in its row-major shape; a missing one (or one of a type Shallow cannot compute with) is an error naming it. */
    Tensor tensor(String name);

    /** A stored tensor's type (F32, BF16, Q8_0, ...) and number of elements. */
    Stored stored(String name);

    /** What a tensor is on disk: its type's name and its number of elements. */
    record Stored(String type, long elements) {
    }

    /** Bytes of the weight files on disk. */
    long bytesOnDisk();

    /** Refuses weights holding NaN or an infinity, naming the tensor. */
    void requireFinite();

    @Override
    void close();
}
