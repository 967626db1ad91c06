package dev.shallow.cli;

import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The ranges of numeric options, as picocli converters named on each option ({@code converter = Ranges.AtLeastOne.class}):
 * a value outside its range is a usage error naming the option, never clamped or passed on. Every floating-point option is
 * also finite ({@link #registerFiniteNumbers}).
 */
final class Ranges {
    private Ranges() {
    }

    /** NaN and infinities are refused for every double and float option. */
    static void registerFiniteNumbers(CommandLine cli) {
        ITypeConverter<Double> finiteDouble = Ranges::finite;
        ITypeConverter<Float> finiteFloat = s -> {
            float f = (float) finite(s).doubleValue();
            if (Float.isInfinite(f)) throw new TypeConversionException(s + " is too large");
            return f;
        };
        cli.registerConverter(Double.class, finiteDouble).registerConverter(double.class, finiteDouble)
                .registerConverter(Float.class, finiteFloat).registerConverter(float.class, finiteFloat);
    }

    /** Counts and sizes: an integer of at least 1. */
    static final class AtLeastOne implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return Math.toIntExact(atLeast(integer(value, Integer.MIN_VALUE, Integer.MAX_VALUE), 1));
        }
    }

    /** Counts that may be 0 (off): an integer of at least 0. */
    static final class AtLeastZero implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return Math.toIntExact(atLeast(integer(value, Integer.MIN_VALUE, Integer.MAX_VALUE), 0));
        }
    }

    /** Token budgets: a long of at least 1. */
    static final class AtLeastOneLong implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return atLeast(integer(value, Long.MIN_VALUE, Long.MAX_VALUE), 1);
        }
    }

    /** Rates and scales: a finite number above 0. */
    static final class Positive implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double v = finite(value);
            if (!(v > 0)) throw new TypeConversionException(value + " is not above 0");
            return v;
        }
    }

    /** Temperatures and decays: a finite number of at least 0. */
    static final class AtLeastZeroReal implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double v = finite(value);
            if (!(v >= 0)) throw new TypeConversionException(value + " is negative; give 0 or more");
            return v;
        }
    }

    /** A share of probability mass: a number in (0, 1]. */
    static final class Mass implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double v = finite(value);
            if (!(v > 0 && v <= 1)) throw new TypeConversionException(value + " is not in (0, 1]");
            return v;
        }
    }

    private static long atLeast(long v, long min) {
        if (v < min) throw new TypeConversionException(v + " is less than " + min);
        return v;
    }

    private static long integer(String value, long min, long max) {
        long v;
        try {
            v = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a whole number");
        }
        if (v < min || v > max) throw new TypeConversionException(value + " is out of range (at most " + max + ")");
        return v;
    }

    private static Double finite(String value) {
        double v;
        try {
            v = Double.parseDouble(value.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a number");
        }
        if (!Double.isFinite(v)) throw new TypeConversionException(value + " is not a finite number");
        return v;
    }
}
