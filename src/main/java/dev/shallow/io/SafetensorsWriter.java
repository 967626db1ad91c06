package dev.shallow.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes safetensors files as the Hugging Face tools do: 8-byte little-endian header length N,
 * N bytes of compact JSON (tensors sorted by name, then {@code __metadata__}), padded with spaces
 * to a multiple of 8, then every tensor's bytes contiguous in header order.
 * <p>
 * Streaming: the output file is memory-mapped and each tensor's {@link Source} fills its own slice,
 * so multi-GB files never sit on the heap. Atomic: written to a temporary file beside the target
 * and moved into place only on success ({@link AtomicFiles}).
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The metadata Hugging Face's PyTorch writer stores, used when the caller gives none. */
    public static final Map<String, String> PT_METADATA = Map.of("format", "pt");

    private SafetensorsWriter() {
    }

    /** A tensor to be written: its name, element type and shape (row-major). */
    public record Entry(String name, DType dtype, long[] shape) {
        public Entry {
            if (dtype.isQuantized()) throw new IllegalArgumentException("tensor '" + name + "': " + dtype + " is a GGUF block format, no safetensors dtype");
            shape = shape.clone();
        }

        public long byteSize() {
            long n = 1;
            for (long d : shape) n = Math.multiplyExact(n, d);
            return dtype.byteSize(n);
        }
    }

    /** Fills {@code dst} (exactly {@code entry.byteSize()} bytes of the mapped output) with the tensor's little-endian bytes. */
    @FunctionalInterface
    public interface Source {
        void fill(Entry entry, MemorySegment dst) throws IOException;
    }

    /**
     * Writes {@code entries} to {@code file}, calling {@code source} once per tensor in name order.
     * The segment passed to the source belongs to a shared arena, so the source may fill it from
     * several threads. {@code metadata} null or empty means {@link #PT_METADATA}.
     */
    public static void write(Path file, Collection<Entry> entries, Map<String, String> metadata, Source source) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparing(Entry::name));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).name().equals(sorted.get(i - 1).name())) {
                throw ShallowException.at(file, "tensor '" + sorted.get(i).name() + "' is declared twice");
            }
        }
        byte[] header = header(sorted, metadata == null || metadata.isEmpty() ? PT_METADATA : metadata);
        AtomicFiles.write(file, tmp -> {
            long size = 8 + header.length;
            for (Entry e : sorted) size += e.byteSize();
            // a mapped write past the free space would fault (SIGBUS) instead of failing: check the space first
            long free = Files.getFileStore(tmp).getUsableSpace();
            if (free < size) throw new FileSystemException(tmp.toString(), null, "No space left on device (" + size + " bytes needed, " + free + " free)");
            try (Arena arena = Arena.ofShared();
                 FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MemorySegment out = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
                out.set(U64_LE, 0, header.length);
                MemorySegment.copy(MemorySegment.ofArray(header), 0, out, 8, header.length);
                long offset = 8 + header.length;
                for (Entry e : sorted) {
                    source.fill(e, out.asSlice(offset, e.byteSize()));
                    offset += e.byteSize();
                }
                out.force();
            } catch (InternalError e) { // the JVM's report of a fault in mapped memory: the space went while writing
                throw new FileSystemException(tmp.toString(), null, "the file system failed under the mapped file (full?): " + e.getMessage());
            }
        });
    }

    /** Writes tensors whose bytes are already at hand (heap arrays or views of a mapped checkpoint). */
    public static void write(Path file, Map<String, ? extends Tensor> tensors, Map<String, String> metadata) {
        List<Entry> entries = new ArrayList<>();
        tensors.forEach((name, t) -> entries.add(new Entry(name, t.dtype(), t.shape())));
        write(file, entries, metadata, (e, dst) -> MemorySegment.copy(tensors.get(e.name()).segment(), 0, dst, 0, dst.byteSize()));
    }

    /** The header JSON for tensors in {@code sorted} order laid out back to back, padded with spaces to a multiple of 8 bytes. */
    static byte[] header(List<Entry> sorted, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        long offset = 0;
        for (Entry e : sorted) {
            ObjectNode t = root.putObject(e.name());
            t.put("dtype", e.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.shape()) shape.add(d);
            t.putArray("data_offsets").add(offset).add(offset + e.byteSize());
            offset += e.byteSize();
        }
        ObjectNode meta = root.putObject("__metadata__");
        new TreeMap<>(metadata).forEach(meta::put);
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise a safetensors header", e);
        }
        byte[] padded = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }
}
