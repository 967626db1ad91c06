package dev.shallow.sweep;

import dev.shallow.ShallowException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How {@code sweep --heal METHODS} heals a pruned point before evaluating it again: each method gives every pruned
 * point one more line of results, the methods side by side in the report.
 */
public enum HealMethod {
    /** LoRA adapters trained on next-token loss, merged ({@code shallow heal}). */
    LORA("lora", "LoRA on next-token loss");

    private final String cliName, description;

    HealMethod(String cliName, String description) {
        this.cliName = cliName;
        this.description = description;
    }

    /** The name in --heal, results.jsonl's "healing" and the report's series. */
    public String cliName() {
        return cliName;
    }

    public String description() {
        return description;
    }

    /** Whether the method trains (its cost grows with the healing tokens). */
    boolean trains() {
        return true;
    }

    /** What a point's label gains when {@code m} healed it: " healed (lora)", or nothing for an unhealed point (null). */
    public static String suffix(HealMethod m) {
        return m == null ? "" : " healed (" + m.cliName + ")";
    }

    /** The method named {@code name} (as {@link #cliName}), or a one-line error listing the names. */
    public static HealMethod of(String name) {
        for (HealMethod m : values()) if (m.cliName.equals(name.strip().toLowerCase(Locale.ROOT))) return m;
        throw new ShallowException("--heal: unknown healing method '" + name + "' (one of " + names() + ")");
    }

    /** A comma-separated list of methods, each once. */
    public static List<HealMethod> parse(String list) {
        List<HealMethod> methods = new ArrayList<>();
        for (String name : list.split(",", -1)) {
            HealMethod m = of(name);
            if (methods.contains(m)) throw new ShallowException("--heal: " + m.cliName + " is given twice");
            methods.add(m);
        }
        return List.copyOf(methods);
    }

    public static String names() {
        return String.join(", ", Arrays.stream(values()).map(HealMethod::cliName).toList());
    }
}
