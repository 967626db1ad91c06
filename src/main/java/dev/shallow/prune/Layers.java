package dev.shallow.prune;

import dev.shallow.ShallowException;
import dev.shallow.transformer.Transformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Sets of layers to remove. Layers are 0-indexed; on the command line a set is a comma-separated
 * list of indices and inclusive ranges ({@code 21-29}, {@code 3,5,7-9}); in JSON, explicit lists.
 * At least one layer must stay.
 */
public final class Layers {
    private static final Pattern ITEM = Pattern.compile("(\\d+)(?:-(\\d+))?");

    private Layers() {
    }

    /** Parses {@code spec} (e.g. "3,5,7-9") into the sorted layers to remove from a model of {@code numLayers} layers. */
    public static int[] parse(String spec, int numLayers) {
        String what = "layers '" + spec + "'";
        if (spec.isBlank()) throw new ShallowException(what + ": empty (expected e.g. 21-29 or 3,5,7-9)");
        boolean[] seen = new boolean[numLayers];
        for (String item : spec.split(",", -1)) {
            Matcher m = ITEM.matcher(item.strip());
            if (!m.matches()) throw new ShallowException(what + ": '" + item + "' is not a layer index or an inclusive range like 21-29");
            int first = index(what, m.group(1), numLayers);
            int last = m.group(2) == null ? first : index(what, m.group(2), numLayers);
            if (last < first) throw new ShallowException(what + ": range " + item.strip() + " runs backwards (write " + last + "-" + first + ")");
            for (int l = first; l <= last; l++) {
                if (seen[l]) throw new ShallowException(what + ": layer " + l + " is given twice (overlapping or duplicate items)");
                seen[l] = true;
            }
        }
        int[] removed = new int[numLayers];
        int n = 0;
        for (int l = 0; l < numLayers; l++) if (seen[l]) removed[n++] = l;
        return leavesOne(what, Arrays.copyOf(removed, n), numLayers);
    }

    private static int index(String what, String digits, int numLayers) {
        int l;
        try {
            l = Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            l = Integer.MAX_VALUE;
        }
        if (l >= numLayers) throw outOfRange(what, digits, numLayers);
        return l;
    }

    private static ShallowException outOfRange(String what, Object layer, int numLayers) {
        return new ShallowException(what + ": layer " + layer + " does not exist (the model has " + numLayers
                + " layers, 0-" + (numLayers - 1) + ")");
    }

    /** {@code removed} sorted, after checking every index is a layer, none repeats, and at least one layer stays. */
    public static int[] checkRemovable(int[] removed, int numLayers) {
        int[] sorted = removed.clone();
        Arrays.sort(sorted);
        String what = "layers " + format(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] < 0 || sorted[i] >= numLayers) throw outOfRange(what, sorted[i], numLayers);
            if (i > 0 && sorted[i] == sorted[i - 1]) throw new ShallowException(what + ": layer " + sorted[i] + " is given twice");
        }
        return leavesOne(what, sorted, numLayers);
    }

    private static int[] leavesOne(String what, int[] removed, int numLayers) {
        if (removed.length == 0) throw new ShallowException(what + ": no layers to remove");
        if (removed.length == numLayers) {
            throw new ShallowException(what + ": would remove all " + numLayers + " layers; at least one layer must stay");
        }
        return removed;
    }

    /** The layers of {@code numLayers} not in {@code removed}, ascending: kept[newIndex] = oldIndex. */
    public static int[] kept(int[] removed, int numLayers) {
        return Transformer.without(numLayers, removed);
    }

    /** The command-line form: sorted layers with runs written as inclusive ranges, e.g. "3,5,7-9". */
    public static String format(int[] sorted) {
        return runs(sorted).stream().map(r -> r.first() == r.last() ? "" + r.first() : r.first() + "-" + r.last())
                .collect(Collectors.joining(","));
    }

    /** A maximal run of consecutive layers, first to last inclusive. */
    public record Run(int first, int last) {
    }

    /** The maximal runs of consecutive layers in {@code sorted} (ascending, distinct), in order. */
    public static List<Run> runs(int[] sorted) {
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < sorted.length; ) {
            int j = i;
            while (j + 1 < sorted.length && sorted[j + 1] == sorted[j] + 1) j++;
            runs.add(new Run(sorted[i], sorted[j]));
            i = j + 1;
        }
        return runs;
    }
}
