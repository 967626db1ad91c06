package dev.shallow.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The one matrix-product entry of inference ({@link Linear}'s GEMM) and training (heal's forward,
 * input-gradient and weight-gradient products): y = round(x) W^T + b, or round(x) W, on the backend chosen per call.
 *
 * <p>The precision ({@link #setPrecision}, the commands' --precision) rounds every matmul input.
 * The backend (system property shallow.matmul: auto, vector or onednn): auto runs bf16 products
 * of BF16 weights on oneDNN where its kernels have native bf16 instructions (AVX512_BF16, AMX) and
 * everything else on the Vector API; onednn runs every product oneDNN takes (F32 weights, BF16 ones
 * in bf16) there; vector never loads oneDNN. When oneDNN is wanted but does not load, one line on
 * stderr says why and the Vector API runs.
 */
public final class Matmul {
    /** Which backend runs the products. */
    public enum Choice { AUTO, VECTOR, ONEDNN }

    private static volatile MatmulPrecision precision = MatmulPrecision.F32;
    private static volatile Choice choice = defaultChoice();
    private static OneDnnGemm oneDnn;
    private static boolean triedOneDnn;

    private Matmul() {
    }

    /** The choice the system property shallow.matmul names (auto when unset). */
    private static Choice defaultChoice() {
        return Choice.valueOf(System.getProperty("shallow.matmul", "auto").toUpperCase(Locale.ROOT));
    }

    /** Back to f32 on the default choice (after a command, so that the next one in this JVM starts from the defaults). */
    public static void restoreDefaults() {
        precision = MatmulPrecision.F32;
        choice = defaultChoice();
    }

    /** The precision of every product from now on. */
    public static void setPrecision(MatmulPrecision p) {
        precision = p;
    }

    public static MatmulPrecision precision() {
        return precision;
    }

    public static Choice choice() {
        return choice;
    }

    /** The backend choice from now on. */
    public static void setChoice(Choice c) {
        choice = c;
    }

    /** y [tokens, rows] = round(x) [tokens, cols] W^T for any tokens >= 1, on the GEMM backend (training's products). */
    public static void multiply(float[] x, int tokens, Tensor w, float[] y) {
        Tensor[] ws = {w};
        float[][] biases = {null}, ys = {y};
        checkShapes(x, tokens, ws, biases, ys);
        gemm(x, tokens, ws, biases, ys);
    }

    /** y [tokens, cols] = round(x) [tokens, rows] W with W [rows, cols] as stored, for any tokens >= 1 (training's input gradient dx = dy W). */
    public static void multiplyUntransposed(float[] x, int tokens, Tensor w, float[] y) {
        if (w.shape().length != 2) throw new IllegalArgumentException("weights must be 2-D, got " + java.util.Arrays.toString(w.shape()));
        if (x.length < (long) tokens * w.rows()) throw new IllegalArgumentException("x holds " + x.length + " floats, needs " + tokens + " x " + w.rows());
        if (y.length < (long) tokens * w.cols()) throw new IllegalArgumentException("y holds " + y.length + " floats, needs " + tokens + " x " + w.cols());
        MatmulPrecision p = precision;
        backend(new Tensor[] {w}, p).gemmUntransposed(x, tokens, w, y, p);
    }

    /** y_i = round(x) W_i^T + b_i on the backend for these weights (shapes checked by the caller). */
    static void gemm(float[] x, int tokens, Tensor[] ws, float[][] biases, float[][] ys) {
        MatmulPrecision p = precision;
        backend(ws, p).gemm(x, tokens, ws, biases, ys, p);
    }

    /** The backend that runs products of these weights in this precision. */
    public static MatmulBackend backend(Tensor[] ws, MatmulPrecision p) {
        Choice c = choice;
        for (Tensor w : ws) if (!mayRunOnOneDnn(w, p, c)) return VectorGemm.INSTANCE;
        OneDnnGemm o = oneDnn();
        return o == null || (c == Choice.AUTO && !o.nativeBf16()) ? VectorGemm.INSTANCE : o;
    }

    /**
     * Whether products of {@code w} in precision {@code p} under choice {@code c} go to oneDNN on a machine where it loads and
     * has native bf16 instructions (elsewhere they run on the Vector API, whose GEMM gives a token's row the same bits in any
     * batch; oneDNN does not promise that).
     */
    public static boolean mayRunOnOneDnn(Tensor w, MatmulPrecision p, Choice c) {
        return c != Choice.VECTOR && OneDnnGemm.takes(w, p) && (c == Choice.ONEDNN || w instanceof BF16Tensor);
    }

    /**
     * What runs here, for info and bench: the CPU and its features, the vector width, and the backend of
     * f32 and bf16 products of F32 and BF16 weights under the current choice (loads oneDNN if it may run).
     */
    public static List<String> platform() {
        String row = "%-14s%s";
        List<String> lines = new ArrayList<>(List.of(String.format(row, "cpu", Cpu.current().describe()),
                String.format(row, "vectors", Linear.S.vectorBitSize() + "-bit (GEMM tile " + VectorGemm.MR + " tokens x " + VectorGemm.NR + " rows)")));
        for (MatmulPrecision p : MatmulPrecision.values()) {
            for (DType d : new DType[] {DType.F32, DType.BF16}) lines.add(String.format(row, "matmul", describe(d, p)));
        }
        return lines;
    }

    /** One line for info and bench: which backend runs the products of weights of this dtype in this precision. */
    public static String describe(DType weights, MatmulPrecision p) {
        Tensor w = Tensor.of(weights, java.lang.foreign.MemorySegment.ofArray(new byte[(int) weights.byteSize(weights.block)]), new long[] {1, weights.block});
        return p.label() + " products of " + weights + " weights on " + backend(new Tensor[] {w}, p).name();
    }

    /** oneDNN's backend, loaded on first use; null (after one line on stderr saying why) when it does not load. */
    static synchronized OneDnnGemm oneDnn() {
        if (!triedOneDnn) {
            triedOneDnn = true;
            OneDnn lib = OneDnn.load();
            if (lib != null) oneDnn = new OneDnnGemm(lib);
            else System.err.println("shallow: oneDNN unavailable (" + OneDnn.unavailable() + "); products run on the Vector API");
        }
        return oneDnn;
    }

    /** Checks that every W_i is 2-D with x's columns and that x, y_i and b_i hold enough floats. */
    static void checkShapes(float[] x, int tokens, Tensor[] ws, float[][] biases, float[][] ys) {
        int cols = ws[0].cols();
        for (int i = 0; i < ws.length; i++) {
            Tensor w = ws[i];
            int rows = w.rows();
            if (w.shape().length != 2 || w.cols() != cols) {
                throw new IllegalArgumentException("weights must be 2-D with " + cols + " columns, got " + java.util.Arrays.toString(w.shape()));
            }
            if (x.length < (long) tokens * cols) throw new IllegalArgumentException("x holds " + x.length + " floats, needs " + tokens + " x " + cols);
            if (ys[i].length < (long) tokens * rows) throw new IllegalArgumentException("y holds " + ys[i].length + " floats, needs " + tokens + " x " + rows);
            if (biases[i] != null && biases[i].length < rows) throw new IllegalArgumentException("bias holds " + biases[i].length + " floats, needs " + rows);
        }
    }
}
