package dev.shallow.heal;

/**
 * One projection of a layer in training: y = x W^T + b + s B A drop(x) with W, b frozen and A, B
 * from the adapter (when the projection has one), and its backward: dx, the adapter's dA and dB,
 * and in the base-gradient test mode dW and db.
 *
 * @param gradW  dL/dW [out, in], or null when base gradients are off (likewise gradBias)
 */
record LoraLinear(Weight w, float[] bias, Lora lora, double[] gradW, double[] gradBias) {

    int in() {
        return w.cols();
    }

    int out() {
        return w.rows();
    }

    /** y [n, out] from x [n, in]; u [n, r] = drop(x) A^T is kept for backward. */
    void forward(Pass pass, double[] x, double[] y, double[] u) {
        Precision pr = pass.precision();
        int n = pass.n(), out = out();
        pr.project(x, n, w, y); // y = x W^T
        if (bias != null) for (int i = 0; i < n * out; i++) y[i] += bias[i % out]; // + b
        if (lora == null) return;
        pr.project(dropped(pass, x, n * in()), n, lora.a(), u); // u = drop(x) A^T
        double[] t = new double[n * out];
        pr.project(u, n, lora.b(), t);
        for (int i = 0; i < n * out; i++) y[i] += lora.scaling() * t[i]; // y += s u B^T
    }

    /** dx [n, in] += dy W + the adapter's path; gradients added to the adapter's params (and gradW, gradBias). */
    void backward(Pass pass, double[] x, double[] dy, double[] u, double[] dx) {
        Precision pr = pass.precision();
        int n = pass.n(), in = in(), out = out();
        pr.backprop(dy, n, w, dx); // dx += dy W
        if (gradW != null) pr.outer(dy, x, n, out, in, 1, gradW); // dW += dy^T x
        if (gradBias != null) for (int i = 0; i < n * out; i++) gradBias[i % out] += dy[i]; // db += sum_t dy
        if (lora == null) return;
        int r = lora.a().rows();
        double s = lora.scaling();
        pr.outer(dy, u, n, out, r, s, lora.b().grad()); // dB += s dy^T u
        double[] du = new double[n * r];
        pr.backprop(dy, n, lora.b(), du);
        for (int i = 0; i < du.length; i++) du[i] *= s; // du = s dy B
        pr.outer(du, dropped(pass, x, n * in), n, r, in, 1, lora.a().grad()); // dA += du^T drop(x)
        double[] dxd = new double[n * in];
        pr.backprop(du, n, lora.a(), dxd); // d drop(x) = du A
        double[] back = dropped(pass, dxd, n * in);
        for (int i = 0; i < n * in; i++) dx[i] += back[i]; // dx += mask / (1 - p) * d drop(x): dropout is its own transpose
    }

    /** The adapter's dropout of this pass: the pass's mask when training, none when evaluating. */
    private double[] dropped(Pass pass, double[] x, int len) {
        return pass.train() ? lora.drop(x, len, pass.key()) : x;
    }
}
