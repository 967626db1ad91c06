package dev.shallow.report;

import dev.shallow.prune.Strategy;
import dev.shallow.sweep.HealMethod;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Annotation;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.internal.series.MarkerSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Draws {@link Figure}s with XChart, as PNG and SVG. */
public final class Charts {
    static final int WIDTH = 720, HEIGHT = 440;
    /** Tableau 10 and more, one colour per strategy (by its position in {@link Strategy}, cycled), so a strategy looks the same in every plot. */
    private static final Color[] PALETTE = {new Color(0x4E79A7), new Color(0xF28E2B), new Color(0xE15759), new Color(0x76B7B2), new Color(0x59A14F),
            new Color(0xEDC948), new Color(0xB07AA1), new Color(0xFF9DA7), new Color(0x9C755F), new Color(0xBAB0AC), new Color(0x17BECF),
            new Color(0x2CA02C), new Color(0xD62728), new Color(0x9467BD), new Color(0x7F7F7F), new Color(0xBCBD22)};
    /** Markers by strategy too, so lines that coincide (two strategies removing the same layers) stay distinguishable. */
    private static final Marker[] MARKERS = {SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND, SeriesMarkers.TRIANGLE_UP,
            SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS, SeriesMarkers.PLUS, SeriesMarkers.OVAL, SeriesMarkers.RECTANGLE, SeriesMarkers.TRAPEZOID};
    /** A healed series' line, by healing method (unhealed lines are solid). */
    private static final BasicStroke[] HEALED_LINES = {SeriesLines.DASH_DASH, SeriesLines.DOT_DOT, SeriesLines.DASH_DOT};
    /** Viridis, low to high. */
    private static final Color[] HEAT = {new Color(68, 1, 84), new Color(59, 82, 139), new Color(33, 145, 140), new Color(94, 201, 98), new Color(253, 231, 37)};

    private Charts() {
    }

    public static byte[] png(Figure figure) {
        try {
            return BitmapEncoder.getBitmapBytes(chart(figure), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] svg(Figure figure) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            VectorGraphicsEncoder.saveVectorGraphic(chart(figure), out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Chart<?, ?> chart(Figure figure) {
        return switch (figure) {
            case Figure.Lines f -> lines(f);
            case Figure.Bars f -> bars(f);
            case Figure.HeatMap f -> heatMap(f);
        };
    }

    private static XYChart lines(Figure.Lines f) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(f.title()).xAxisTitle(f.xTitle()).yAxisTitle(f.yTitle()).build();
        style(c.getStyler());
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setYAxisDecimalPattern("0.###");
        for (int i = 0; i < f.lines().size(); i++) {
            Series s = f.lines().get(i);
            int style = strategyIndex(s.name());
            XYSeries xy = c.addSeries(s.name(), s.x(), s.y());
            xy.setLineColor(style < 0 ? Color.BLACK : PALETTE[style % PALETTE.length]);
            xy.setMarkerColor(style < 0 ? Color.BLACK : PALETTE[style % PALETTE.length]);
            xy.setMarker(MARKERS[Math.max(style, 0) % MARKERS.length]);
            // the first lines drawn widest: where strategies remove the same layers their lines coincide, and show as nested stripes
            xy.setLineWidth(1.5f + 3.5f * (f.lines().size() - 1 - i) / Math.max(1, f.lines().size() - 1));
            HealMethod healing = Figures.healing(s.name());
            if (healing != null) xy.setLineStyle(HEALED_LINES[healing.ordinal() % HEALED_LINES.length]);
        }
        for (Series s : f.guides()) {
            guide(c.addSeries(s.name(), s.x(), s.y()));
        }
        return c;
    }

    private static CategoryChart bars(Figure.Bars f) {
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(f.title()).xAxisTitle(f.xTitle()).yAxisTitle(f.yTitle()).build();
        style(c.getStyler());
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        for (int i = 0; i < f.bars().size(); i++) {
            Series s = f.bars().get(i);
            c.addSeries(s.name(), f.categories(), box(s.y())).setFillColor(PALETTE[i]);
        }
        for (Series s : f.guides()) {
            CategorySeries line = c.addSeries(s.name(), f.categories(), box(s.y()));
            line.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
            guide(line);
        }
        return c;
    }

    private static HeatMapChart heatMap(Figure.HeatMap f) {
        HeatMapChart c = new HeatMapChartBuilder().width(WIDTH).height(HEIGHT + 80).title(f.title()).xAxisTitle(f.xTitle()).yAxisTitle(f.yTitle()).build();
        style(c.getStyler());
        List<Number[]> cells = new ArrayList<>();
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < f.columns().size(); i++) {
            for (int j = 0; j < f.rows().size(); j++) {
                double v = f.values()[i][j];
                if (Double.isNaN(v)) continue;
                cells.add(new Number[]{i, j, v});
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        c.addSeries("d", f.columns(), f.rows(), cells);
        c.getStyler().setRangeColors(HEAT).setMin(Math.floor(min * 1000) / 1000).setMax(Math.ceil(max * 1000) / 1000)
                .setShowValue(f.columns().size() <= 8).setHeatMapValueDecimalPattern(f.valuePattern()).setValueFontColor(Color.WHITE);
        c.addAnnotation(new CellOutlines(f.columns().size(), f.rows().size(), f.marks()));
        return c;
    }

    /** A dashed grey line without markers. */
    private static void guide(MarkerSeries s) {
        s.setLineColor(Color.DARK_GRAY);
        s.setLineStyle(SeriesLines.DASH_DASH);
        s.setMarker(SeriesMarkers.NONE);
    }

    private static void style(Styler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(false);
        s.setLegendBorderColor(Color.WHITE);
    }

    /** The position in {@link Strategy} of the strategy a series is named for ("angular", "angular (healed: lora)"), else -1. */
    private static int strategyIndex(String series) {
        HealMethod healing = Figures.healing(series);
        String strategy = healing == null ? series : series.substring(0, series.length() - Figures.healedSuffix(healing).length());
        return Arrays.stream(Strategy.values()).filter(s -> s.cliName().equals(strategy)).mapToInt(Strategy::ordinal).findFirst().orElse(-1);
    }

    private static List<Double> box(double[] values) {
        return Arrays.stream(values).boxed().toList();
    }

    /**
     * Outlines heat-map cells. XChart draws a heat map's cells as equal divisions of the plot area shrunk by its
     * plot-content size, rows from the bottom; its axis mapping does not give cell positions, so they are computed here.
     */
    private static final class CellOutlines extends Annotation {
        private final int columns, rows;
        private final List<int[]> cells;

        CellOutlines(int columns, int rows, List<int[]> cells) {
            super(true);
            this.columns = columns;
            this.rows = rows;
            this.cells = cells;
        }

        @Override
        public void paint(Graphics2D g) {
            double pad = (1 - styler.getPlotContentSize()) / 2;
            double left = getXAxisScreenValueForMin(), width = getXAxisScreenValueForMax() - left;
            double top = Math.min(getYAxisScreenValueForMin(), getYAxisScreenValueForMax());
            double height = Math.max(getYAxisScreenValueForMin(), getYAxisScreenValueForMax()) - top;
            left += pad * width;
            width *= 1 - 2 * pad;
            top += pad * height;
            height *= 1 - 2 * pad;
            double w = width / columns, h = height / rows;
            g.setColor(Color.RED);
            g.setStroke(new BasicStroke(3f));
            for (int[] c : cells) g.draw(new Rectangle2D.Double(left + c[0] * w + 2, top + height - (c[1] + 1) * h + 2, w - 4, h - 4));
        }

        @Override
        public Rectangle2D getBounds() {
            return new Rectangle2D.Double();
        }
    }
}
