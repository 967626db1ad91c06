package dev.shallow.report;

import java.util.List;

/** The data behind one plot of a sweep report, drawn by {@link Charts}; {@code name} is the file stem. */
public sealed interface Figure {
    String name();

    String title();

    /** Lines (one per strategy) with markers, and guides drawn dashed without markers (e.g. the random-guess level). */
    record Lines(String name, String title, String xTitle, String yTitle, List<Series> lines, List<Series> guides) implements Figure {
    }

    /** Grouped bars over categories (bar series' x are category indices), and guides drawn as dashed lines across them. */
    record Bars(String name, String title, String xTitle, String yTitle, List<String> categories, List<Series> bars, List<Series> guides)
            implements Figure {
    }

    /**
     * A heat map: {@code values[i][j]} at column {@code columns[i]} and row {@code rows[j]} (rows bottom to top; NaN: no
     * cell); {@code marks} are the (column, row) index pairs outlined; {@code valuePattern} formats the values written in small maps.
     */
    record HeatMap(String name, String title, String xTitle, String yTitle, List<String> columns, List<String> rows, double[][] values,
                   List<int[]> marks, String valuePattern) implements Figure {
    }
}
