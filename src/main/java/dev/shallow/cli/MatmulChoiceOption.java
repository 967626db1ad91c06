package dev.shallow.cli;

import dev.shallow.tensor.Matmul;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** --matmul auto|vector|onednn: which backend runs the matrix products ({@link Matmul}). */
final class MatmulChoiceOption {
    @Option(names = "--matmul", paramLabel = "auto|vector|onednn", converter = Choices.class,
            description = "Matmul backend: auto (default: bf16 products of BF16 weights on oneDNN where the CPU has bf16 instructions, the rest on the Vector API), vector, or onednn (every product it takes).")
    void setChoice(Matmul.Choice c) {
        Matmul.setChoice(c);
    }

    static final class Choices implements ITypeConverter<Matmul.Choice> {
        @Override
        public Matmul.Choice convert(String value) {
            for (Matmul.Choice c : Matmul.Choice.values()) if (c.name().toLowerCase(Locale.ROOT).equals(value)) return c;
            throw new TypeConversionException("'" + value + "' is not auto, vector or onednn");
        }
    }
}
