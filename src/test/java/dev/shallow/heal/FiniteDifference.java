package dev.shallow.heal;

import java.util.function.DoubleSupplier;

/** Numerical derivatives of a scalar function of one array element, for the gradient checks. */
final class FiniteDifference {
    private FiniteDifference() {
    }

    /** Central difference (f(v + h) - f(v - h)) / 2h in double: error O(h^2 f''') + O(eps |f| / h). */
    static double central(double[] v, int i, double h, DoubleSupplier f) {
        double orig = v[i];
        v[i] = orig + h;
        double plus = f.getAsDouble();
        v[i] = orig - h;
        double minus = f.getAsDouble();
        v[i] = orig;
        return (plus - minus) / (2 * h);
    }

    /**
     * The derivative with respect to a float element: v + h and v - h round to v + hp and v - hm
     * (hp != hm in general), so the derivative of the parabola through the three points
     * (-hm, f-), (0, f0), (hp, f+) is taken, which keeps the O(h^2) error of a central difference.
     */
    static double ofFloat(float[] v, int i, double h, double f0, DoubleSupplier f) {
        float orig = v[i];
        v[i] = (float) (orig + h);
        double hp = (double) v[i] - orig, plus = f.getAsDouble();
        v[i] = (float) (orig - h);
        double hm = orig - (double) v[i], minus = f.getAsDouble();
        v[i] = orig;
        return (hm * hm * (plus - f0) + hp * hp * (f0 - minus)) / (hp * hm * (hp + hm));
    }
}
