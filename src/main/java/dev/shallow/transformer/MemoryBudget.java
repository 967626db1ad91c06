package dev.shallow.transformer;

import dev.shallow.ShallowException;
import dev.shallow.model.Model;
import dev.shallow.tensor.Tensor;

import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The memory a run may use (weights' resident pages plus the heap it fills), and the
 * {@link LayerSchedule} that keeps within it: in memory when all the weights the run reads fit
 * beside its working set, else layer-major with chunks of what is left.
 *
 * @param bytes the budget; {@link #DEFAULT} means {@link #DEFAULT_FRACTION} of the memory this process may use
 */
public record MemoryBudget(long bytes) implements Serializable {
    /** The default budget: this fraction of the physical memory (or of the container's limit). */
    public static final double DEFAULT_FRACTION = 0.75;
    public static final MemoryBudget DEFAULT = new MemoryBudget(0);
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(?:i?b)?", Pattern.CASE_INSENSITIVE);

    public MemoryBudget {
        if (bytes < 0) throw new IllegalArgumentException("memory budget must be >= 0 bytes, got " + bytes);
    }

    /** "6g", "6GB", "6GiB", "512m", "1.5g", or plain bytes; units are powers of 1024. */
    public static MemoryBudget parse(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) throw new ShallowException("--memory-budget '" + text + "': expected a size such as 6g, 512m or 8GiB");
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        long bytes = (long) (Double.parseDouble(m.group(1)) * (1L << shift));
        if (bytes <= 0) throw new ShallowException("--memory-budget '" + text + "': must be more than 0 bytes");
        return new MemoryBudget(bytes);
    }

    /** The budget in bytes: the given one, or the default fraction of the machine's (or container's) memory. */
    public long limit() {
        if (bytes > 0) return bytes;
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return (long) (os.getTotalMemorySize() * DEFAULT_FRACTION);
    }

    /**
     * The schedule for running {@code units} through {@code tf}: in memory if the weights, the units' resident
     * bytes and the workspace of the widest pass fit. Layer-major chunks get what the budget leaves after two
     * layers' weights (one running, one read ahead), the embedding and head, and the workspace; the heap caps
     * them too.
     */
    public LayerSchedule schedule(Transformer tf, List<? extends LayerSchedule.Unit> units) {
        long residentBytes = units.stream().mapToLong(LayerSchedule.Unit::residentBytes).sum();
        int widest = units.stream().mapToInt(LayerSchedule.Unit::widestPass).max().orElse(0);
        Model m = tf.model();
        long embedHead = bytes(m.embed()) + (m.lmHead() == m.embed() ? 0 : bytes(m.lmHead()));
        long layers = 0, largest = 0;
        for (int l : tf.layers()) {
            long b = m.layer(l).matrixBytes();
            layers += b;
            largest = Math.max(largest, b);
        }
        long workspace = Transformer.Workspace.bytes(m.config(), widest), limit = limit(), weights = embedHead + layers;
        if (weights + workspace + residentBytes <= limit) return LayerSchedule.IN_MEMORY;
        long heap = Runtime.getRuntime().maxMemory() / 2;
        long chunk = Math.max(1, Math.min(heap, limit - 2 * largest - embedHead - workspace));
        return new LayerSchedule(true, chunk, String.format(Locale.ROOT,
                "the weights (%s) and working set (%s) do not fit the memory budget of %s: running layer by layer"
                        + " (one layer's weights, %s, at a time; units of work grouped into chunks of up to %s)",
                size(weights), size(workspace + residentBytes), size(limit), size(largest), size(chunk)));
    }

    private static long bytes(Tensor t) {
        return t.segment().byteSize();
    }

    /** "13.50 GiB" or, under 1 GiB, "405.0 MiB". */
    public static String size(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
}
