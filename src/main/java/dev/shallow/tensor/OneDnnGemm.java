package dev.shallow.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The GEMM on oneDNN's matmul primitive (through {@link OneDnn}): src = x [tokens, cols] row-major,
 * weights = W^T read in place ([cols, rows] with strides 1 and cols: W as stored, no reorder), dst =
 * y [tokens, rows] in float32; or (untransposed) weights = W [cols, rows] row-major as stored. BF16 weights with {@link MatmulPrecision#BF16} multiply as bf16 x bf16
 * with float32 accumulation (AVX512_BF16's VDPBF16PS, AMX's tiles); F32 weights as f32 x f32 (x rounded
 * first for BF16). Other weight types are not taken ({@link #takes}). Calls are serialised (one stream);
 * the primitives of the last {@link #CACHED} shapes are kept.
 */
public final class OneDnnGemm implements MatmulBackend {
    /** Primitives kept (one per token count, weight shape and types). */
    static final int CACHED = 32;

    private final OneDnn dnnl;
    private final Map<Shape, Primitive> primitives = new LinkedHashMap<>(16, 0.75f, true);
    private MemorySegment src = MemorySegment.NULL, dst = MemorySegment.NULL, weights = MemorySegment.NULL;

    /** One product's sizes and types: x [tokens, cols] times W^T [cols, rows] (W [rows, cols] as stored), or with untransposed times W [cols, rows]. */
    private record Shape(int tokens, int cols, int rows, int srcType, int weightType, boolean untransposed) {
    }

    /** A created primitive with its memory descriptors. */
    private record Primitive(MemorySegment primitive, MemorySegment srcMd, MemorySegment weightsMd, MemorySegment dstMd) {
    }

    OneDnnGemm(OneDnn dnnl) {
        this.dnnl = dnnl;
    }

    @Override
    public String name() {
        return "oneDNN " + OneDnn.VERSION + " (" + dnnl.isaName() + ")";
    }

    /** Whether bf16 products run on native instructions here (AVX512_BF16 or AMX). */
    boolean nativeBf16() {
        return dnnl.nativeBf16();
    }

    /** Whether this backend computes x W^T in the precision: F32 weights, or BF16 weights in BF16. */
    static boolean takes(Tensor w, MatmulPrecision precision) {
        return w instanceof F32Tensor || (w instanceof BF16Tensor && precision == MatmulPrecision.BF16);
    }

    @Override
    public void gemm(float[] x, int tokens, Tensor[] ws, float[][] biases, float[][] ys, MatmulPrecision precision) {
        run(x, tokens, ws, false, biases, ys, precision);
    }

    @Override
    public void gemmUntransposed(float[] x, int tokens, Tensor w, float[] y, MatmulPrecision precision) {
        run(x, tokens, new Tensor[] {w}, true, new float[][] {null}, new float[][] {y}, precision);
    }

    /** y_i = round(x) W_i^T + b_i, or with untransposed y = round(x) W (one weight, no bias). */
    private synchronized void run(float[] x, int tokens, Tensor[] ws, boolean untransposed, float[][] biases, float[][] ys, MatmulPrecision precision) {
        int cols = untransposed ? ws[0].rows() : ws[0].cols();
        try {
            boolean bf16Src = false, f32Src = false;
            for (Tensor w : ws) {
                if (w instanceof BF16Tensor) bf16Src = true;
                else f32Src = true;
            }
            long n = (long) tokens * cols;
            src = grow(src, n * (f32Src ? 4 : 2));
            MemorySegment bf16 = bf16Src && f32Src ? Arena.ofAuto().allocate(n * 2, 64) : src;
            if (f32Src) MemorySegment.copy(precision.round(x, (int) n), 0, src, ValueLayout.JAVA_FLOAT, 0, (int) n);
            if (bf16Src) BF16Tensor.fromFloats(x, (int) n, bf16);
            dnnl.setNumThreads.invokeExact(Parallel.threads());
            for (int i = 0; i < ws.length; i++) {
                Tensor w = ws[i];
                int rows = untransposed ? w.cols() : w.rows();
                boolean bf = w instanceof BF16Tensor;
                Primitive p = primitive(new Shape(tokens, cols, rows, bf ? OneDnn.BF16 : OneDnn.F32, bf ? OneDnn.BF16 : OneDnn.F32, untransposed));
                MemorySegment wseg = w.segment();
                if (!wseg.isNative()) {
                    weights = grow(weights, wseg.byteSize());
                    weights.copyFrom(wseg);
                    wseg = weights;
                }
                dst = grow(dst, (long) tokens * rows * 4);
                execute(p, bf ? bf16 : src, wseg, dst);
                MemorySegment.copy(dst, ValueLayout.JAVA_FLOAT, 0, ys[i], 0, tokens * rows);
                float[] b = biases[i], y = ys[i];
                if (b != null) for (int t = 0; t < tokens; t++) for (int r = 0; r < rows; r++) y[t * rows + r] += b[r];
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("oneDNN matmul failed: " + e, e);
        }
    }

    /** dst = src weights through the primitive (the memory objects made for this call and destroyed after it). */
    private void execute(Primitive p, MemorySegment srcData, MemorySegment weightData, MemorySegment dstData) throws Throwable {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment[] mems = {memory(call, p.srcMd(), srcData), memory(call, p.weightsMd(), weightData), memory(call, p.dstMd(), dstData)};
            int[] kinds = {OneDnn.ARG_SRC, OneDnn.ARG_WEIGHTS, OneDnn.ARG_DST};
            MemorySegment args = call.allocate(16L * 3, 8); // dnnl_exec_arg_t {int arg; dnnl_memory_t memory;}
            for (int a = 0; a < 3; a++) {
                args.set(ValueLayout.JAVA_INT, 16L * a, kinds[a]);
                args.set(ValueLayout.ADDRESS, 16L * a + 8, mems[a]);
            }
            try {
                OneDnn.check("dnnl_primitive_execute", (int) dnnl.execute.invokeExact(p.primitive(), dnnl.stream, 3, args));
                OneDnn.check("dnnl_stream_wait", (int) dnnl.streamWait.invokeExact(dnnl.stream));
            } finally {
                for (MemorySegment m : mems) OneDnn.check("dnnl_memory_destroy", (int) dnnl.memoryDestroy.invokeExact(m));
            }
        }
    }

    private MemorySegment memory(Arena call, MemorySegment md, MemorySegment data) throws Throwable {
        MemorySegment out = call.allocate(ValueLayout.ADDRESS);
        OneDnn.check("dnnl_memory_create", (int) dnnl.memoryCreate.invokeExact(out, md, dnnl.engine, data));
        return out.get(ValueLayout.ADDRESS, 0);
    }

    /** The primitive of a shape, created on first use; the least recently used one is dropped beyond CACHED. */
    private Primitive primitive(Shape s) throws Throwable {
        Primitive p = primitives.get(s);
        if (p != null) return p;
        if (primitives.size() >= CACHED) {
            var eldest = primitives.entrySet().iterator();
            destroy(eldest.next().getValue());
            eldest.remove();
        }
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment srcMd = dnnl.matrix(tmp, s.tokens(), s.cols(), s.cols(), 1, s.srcType());
            MemorySegment weightsMd = s.untransposed() ? dnnl.matrix(tmp, s.cols(), s.rows(), s.rows(), 1, s.weightType()) // W as stored
                    : dnnl.matrix(tmp, s.cols(), s.rows(), 1, s.cols(), s.weightType()); // W^T, W as stored
            MemorySegment dstMd = dnnl.matrix(tmp, s.tokens(), s.rows(), s.rows(), 1, OneDnn.F32);
            MemorySegment out = tmp.allocate(ValueLayout.ADDRESS);
            OneDnn.check("dnnl_matmul_primitive_desc_create", (int) dnnl.matmulDescCreate.invokeExact(out, dnnl.engine, srcMd, weightsMd,
                    MemorySegment.NULL, dstMd, MemorySegment.NULL));
            MemorySegment pd = out.get(ValueLayout.ADDRESS, 0);
            OneDnn.check("dnnl_primitive_create", (int) dnnl.primitiveCreate.invokeExact(out, pd));
            OneDnn.check("dnnl_primitive_desc_destroy", (int) dnnl.primitiveDescDestroy.invokeExact(pd));
            p = new Primitive(out.get(ValueLayout.ADDRESS, 0), srcMd, weightsMd, dstMd);
        }
        primitives.put(s, p);
        return p;
    }

    private void destroy(Primitive p) throws Throwable {
        OneDnn.check("dnnl_primitive_destroy", (int) dnnl.primitiveDestroy.invokeExact(p.primitive()));
        for (MemorySegment md : new MemorySegment[] {p.srcMd(), p.weightsMd(), p.dstMd()}) {
            OneDnn.check("dnnl_memory_desc_destroy", (int) dnnl.memoryDescDestroy.invokeExact(md));
        }
    }

    /** seg if it holds bytes, else a new native buffer of at least that many (64-byte aligned; freed by the GC). */
    private static MemorySegment grow(MemorySegment seg, long bytes) {
        return seg.byteSize() >= bytes ? seg : Arena.ofAuto().allocate(Math.max(bytes, seg.byteSize() * 3 / 2), 64);
    }
}
