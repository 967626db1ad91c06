package dev.shallow.io;

import dev.shallow.ShallowException;
import dev.shallow.tensor.DType;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Finds NaN and infinities in a tensor's little-endian bytes without decoding them: a float is non-finite exactly when its
 * exponent bits are all ones, which eight bytes at a time is a test for a zero lane in (x &amp; E) ^ E. In a ggml block
 * format only the fp16 scales (d, dmin) can be non-finite (the quants are integers), so those are tested, block by block.
 */
final class NonFinite {
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfShort F16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private NonFinite() {
    }

    /** The exponent bits of one element, the width of an element in bits. */
    private record Format(long exponent, int bits) {
        /** The exponent mask repeated in every lane of a long. */
        long lanes(long pattern) {
            long m = 0;
            for (int shift = 0; shift < 64; shift += bits) m |= pattern << shift;
            return m;
        }
    }

    /** True for the dtypes this scan knows: the float ones with infinities and NaN. */
    static boolean applies(DType dtype) {
        return format(dtype) != null;
    }

    /** The index of the first NaN or infinite element of {@code bytes} (elements of {@code dtype}), or -1 when all are finite. */
    static long first(DType dtype, MemorySegment bytes) {
        Format f = format(dtype);
        long e = f.lanes(f.exponent()), ones = f.lanes(1), high = f.lanes(1L << (f.bits() - 1));
        long step = L.vectorByteSize(), vectors = bytes.byteSize() / step * step;
        for (long at = 0; at < vectors; at += step) { // the same test on a vector of words, the scalar loop locating the element
            LongVector v = LongVector.fromMemorySegment(L, bytes, at, ByteOrder.LITTLE_ENDIAN).and(e).lanewise(VectorOperators.XOR, e);
            if (v.sub(ones).and(v.not()).and(high).compare(VectorOperators.NE, 0).anyTrue()) return scan(f, bytes, at, e, ones, high);
        }
        return scan(f, bytes, vectors, e, ones, high);
    }

    /** The first non-finite element at or after byte {@code from}, eight bytes at a time, then element by element. */
    private static long scan(Format f, MemorySegment bytes, long from, long e, long ones, long high) {
        long words = bytes.byteSize() / 8;
        for (long w = from / 8; w < words; w++) {
            long v = (bytes.get(U64_LE, w * 8) & e) ^ e; // a lane is zero exactly where the exponent is all ones
            if (((v - ones) & ~v & high) != 0) return firstFrom(f, bytes, w * 8);
        }
        return firstFrom(f, bytes, words * 8);
    }

    /**
     * Refuses a tensor holding NaN or an infinity, naming the file, the tensor and the first such element; its
     * pages leave resident memory after the scan (a model larger than RAM stays streamable). Other dtypes pass.
     */
    static void require(Path file, String name, DType dtype, long[] shape, MemorySegment bytes) {
        if (dtype.isQuantized()) {
            requireScales(file, name, dtype, shape, bytes);
            return;
        }
        if (!applies(dtype)) return;
        long at = first(dtype, bytes);
        if (bytes.isMapped()) bytes.unload();
        if (at >= 0) {
            throw ShallowException.at(file, "tensor '" + name + "' holds NaN or infinity at element " + at
                    + " (of shape " + Arrays.toString(shape) + "); the model would compute NaN");
        }
    }

    /** Refuses a block-format tensor with a NaN or infinite fp16 scale, naming the block and its elements. */
    private static void requireScales(Path file, String name, DType dtype, long[] shape, MemorySegment bytes) {
        int[] at = dtype.fp16Scales();
        long blocks = bytes.byteSize() / dtype.bytes;
        for (long b = 0; b < blocks; b++) {
            long base = b * dtype.bytes;
            for (int o : at) {
                if ((bytes.get(F16_LE, base + o) & 0x7C00) == 0x7C00) { // exponent all ones: infinity or NaN
                    if (bytes.isMapped()) bytes.unload();
                    throw ShallowException.at(file, "tensor '" + name + "' (" + dtype + ", shape " + Arrays.toString(shape) + ") has a NaN or infinite "
                            + (o == at[0] ? "scale d" : "scale dmin") + " in block " + b + " (elements " + b * dtype.block + " to "
                            + ((b + 1) * dtype.block - 1) + "); the model would compute NaN");
                }
            }
        }
        if (bytes.isMapped()) bytes.unload();
    }

    /** The first non-finite element at or after byte {@code from}, element by element. */
    private static long firstFrom(Format f, MemorySegment bytes, long from) {
        int size = f.bits() / 8;
        for (long at = from; at + size <= bytes.byteSize(); at += size) {
            long x = 0;
            for (int b = 0; b < size; b++) x |= (bytes.get(ValueLayout.JAVA_BYTE, at + b) & 0xFFL) << (8 * b);
            if ((x & f.exponent()) == f.exponent()) return at / size;
        }
        return -1;
    }

    private static Format format(DType dtype) {
        return switch (dtype) {
            case F64 -> new Format(0x7FF0000000000000L, 64);
            case F32 -> new Format(0x7F800000L, 32);
            case F16 -> new Format(0x7C00L, 16);
            case BF16 -> new Format(0x7F80L, 16);
            default -> null;
        };
    }
}
