package dev.shallow.bench;

import dev.shallow.tensor.DType;
import dev.shallow.tensor.Linear;
import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.MatmulPrecision;
import dev.shallow.tensor.Parallel;
import dev.shallow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Times Linear.apply on TinyLlama-1.1B shapes: prefill GEMM (GFLOP/s, % of the FMA peak) and decode
 * GEMV (1 token; GB/s of weights read, % of the read bandwidth), for float weights and ggml's block formats
 * (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K: the bytes read are the blocks'). Best of several timed repeats after
 * warm-up. Peaks come from scripts/peak/run.sh: pass the numbers measured just before (memory bandwidth
 * on a shared host varies from minute to minute).
 *
 * <pre>java $JAVA_FLAGS -cp target/shallow.jar dev.shallow.bench.KernelBench [--threads 2] [--reps 5]
 *     [--tokens 128,2048] [--dtypes BF16,F32,Q8_0,Q4_K] [--precision f32,bf16] [--peak-gflops 181.3] [--peak-gbs 60.2] [--no-gemm] [--no-gemv]</pre>
 */
public final class KernelBench {
    /** TinyLlama-1.1B weights [rows, cols]: q/o, gate/up, down, lm_head. */
    static final int[][] SHAPES = {{2048, 2048}, {5632, 2048}, {2048, 5632}, {32000, 2048}};
    /** GEMV reads at least this many weight bytes per round (cycling copies), so they come from DRAM, not L3. */
    static final long GEMV_BYTES = 256L << 20;

    private KernelBench() {
    }

    public static void main(String[] args) {
        int threads = Parallel.threads(), reps = 5;
        int[] tokenCounts = {128, 2048};
        String[] dtypes = {"BF16", "F32"};
        double peakGflops = 181.3, peakGbs = 60.2;
        boolean gemm = true, gemv = true;
        String[] precisions = {"f32"};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--tokens" -> tokenCounts = java.util.Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--dtypes" -> dtypes = args[++i].split(",");
                case "--peak-gflops" -> peakGflops = Double.parseDouble(args[++i]);
                case "--peak-gbs" -> peakGbs = Double.parseDouble(args[++i]);
                case "--precision" -> precisions = args[++i].split(",");
                case "--no-gemm" -> gemm = false;
                case "--no-gemv" -> gemv = false;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Parallel.setThreads(threads);
        System.out.printf("threads %d, vector %d bits, peak %.1f GFLOP/s, %.1f GB/s, best of %d%n",
                threads, jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize(), peakGflops, peakGbs, reps);
        try (Arena arena = Arena.ofShared()) {
            for (String d : dtypes) {
                DType dtype = DType.valueOf(d);
                for (String precision : gemm ? precisions : new String[0]) {
                    MatmulPrecision p = MatmulPrecision.valueOf(precision.toUpperCase(java.util.Locale.ROOT));
                    Matmul.setPrecision(p);
                    System.out.println(Matmul.describe(dtype, p));
                    for (int[] shape : SHAPES) {
                        Tensor w = weights(arena, dtype, shape[0], shape[1], 1);
                        for (int tokens : tokenCounts) {
                            float[] x = randoms(tokens * shape[1], 2), y = new float[tokens * shape[0]];
                            double flops = 2.0 * tokens * shape[0] * shape[1];
                            int repeats = Math.max(reps, (int) Math.min(50, 20e9 / flops));
                            double s = best(repeats, () -> Linear.apply(x, tokens, w, null, y));
                            double gflops = flops / s / 1e9;
                            System.out.printf("GEMM %-4s %-4s %5d x %5d  tokens %4d: %8.2f ms  %6.1f GFLOP/s  %5.1f%% of peak  (%.2f CPUs busy)%n",
                                    dtype, p.label(), shape[0], shape[1], tokens, s * 1e3, gflops, 100 * gflops / peakGflops, lastCpu / s);
                        }
                    }
                }
                Matmul.setPrecision(MatmulPrecision.F32);
                if (gemv) {
                    for (int[] shape : SHAPES) {
                        long bytes = dtype.byteSize((long) shape[0] * shape[1]);
                        int copies = (int) Math.max(1, (GEMV_BYTES + bytes - 1) / bytes);
                        List<Tensor> ws = new ArrayList<>();
                        for (int c = 0; c < copies; c++) ws.add(weights(arena, dtype, shape[0], shape[1], 10 + c));
                        float[] x = randoms(shape[1], 3), y = new float[shape[0]];
                        double s = best(reps, () -> {
                            for (Tensor w : ws) Linear.apply(x, 1, w, null, y);
                        }) / copies;
                        double gbs = bytes / s / 1e9;
                        System.out.printf("GEMV %-4s %5d x %5d  (%d copies): %8.3f ms  %6.1f GB/s  %5.1f%% of bandwidth  (%.2f CPUs busy)%n",
                                dtype, shape[0], shape[1], copies, s * 1e3, gbs, 100 * gbs / peakGbs, lastCpu / (s * copies));
                    }
                }
            }
        }
    }

    /** Process CPU time of the last {@link #best} call's fastest run, in seconds (shows time lost to other processes). */
    static double lastCpu;

    /** Best wall time in seconds of {@code reps} runs after at least 3 warm-up runs and 1 s of warm-up. */
    static double best(int reps, Runnable r) {
        long warm = System.nanoTime();
        for (int i = 0; i < 3 || System.nanoTime() - warm < 1_000_000_000L; i++) r.run();
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
            r.run();
            double wall = (System.nanoTime() - t0) * 1e-9;
            if (wall < best) {
                best = wall;
                lastCpu = (os.getProcessCpuTime() - c0) * 1e-9;
            }
        }
        return best;
    }

    /**
     * Off-heap random weights, uniform in [-0.04, 0.04), in a dtype (as memory-mapped weights would be); a block format
     * gets random quant bytes and fp16 scales in [0, 0.001) (finite values of the same order).
     */
    static Tensor weights(Arena arena, DType dtype, int rows, int cols, long seed) {
        long n = (long) rows * cols;
        MemorySegment seg = arena.allocate(dtype.byteSize(n), 64);
        Random rnd = new Random(seed);
        if (dtype.isQuantized()) {
            byte[] block = new byte[dtype.bytes];
            for (long b = 0; b < n / dtype.block; b++) {
                rnd.nextBytes(block);
                for (int at : dtype.fp16Scales()) {
                    short h = Float.floatToFloat16(rnd.nextFloat() * 0.001f);
                    block[at] = (byte) h;
                    block[at + 1] = (byte) (h >> 8);
                }
                MemorySegment.copy(block, 0, seg, ValueLayout.JAVA_BYTE, b * dtype.bytes, block.length);
            }
            return Tensor.of(dtype, seg, new long[] {rows, cols});
        }
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < cols; i++) row[i] = (rnd.nextFloat() - 0.5f) * 0.08f;
            dtype.encode(row, 0, cols, seg, r * dtype.byteSize(cols));
        }
        return Tensor.of(dtype, seg, new long[] {rows, cols});
    }

    static float[] randoms(int n, long seed) {
        Random rnd = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }
}
