package dev.shallow.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Version;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.prune.Layers;
import dev.shallow.sweep.Generation;
import dev.shallow.sweep.PointResult;
import dev.shallow.sweep.SweepRun;
import dev.shallow.sweep.TaskMetric;
import dev.shallow.sweep.TaskScore;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/** A sweep as one self-contained HTML page: no external files, scripts or fonts; plots inline as PNG data URIs. */
final class HtmlReport {
    private static final String STYLE = """
            body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
            table{border-collapse:collapse;margin:1em 0;font-size:90%}
            th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
            th{background:#f3f3f3}
            td.l,th.l{text-align:left}
            figure{margin:1.5em 0}
            img{max-width:100%}
            pre{background:#f6f6f6;padding:.7em;overflow-x:auto;font-size:85%}
            .note{background:#fff6dd;border-left:4px solid #e0b000;padding:.5em 1em}
            .gen{white-space:pre-wrap;font-family:monospace;background:#f6f6f6;padding:.4em .7em;margin:.3em 0}
            """;

    private static final String SAME_LAYERS = " Strategies that remove the same layers share a point; their lines coincide (drawn as nested stripes).";

    private HtmlReport() {
    }

    /** The page for {@code run} with {@code plots} (each figure's PNG). */
    static String render(SweepRun run, List<Report.Plot> plots) {
        ModelIdentity m = run.model();
        StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(esc("Shallow sweep: " + m.path())).append("</title>\n<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n");
        h.append("<h1>Pruning sweep of ").append(esc(m.path())).append("</h1>\n");
        h.append("<table>\n");
        row(h, "th", List.of("architecture", "layers", "hidden size", "parameters", "fingerprint"));
        row(h, "td", List.of(m.architecture(), String.valueOf(m.numLayers()), String.valueOf(m.hiddenSize()), String.format(Locale.ROOT, "%,d", m.parameters()),
                m.fingerprint().substring(0, 12)));
        h.append("</table>\n");
        h.append("<p>").append(run.points().size()).append(" of ").append(run.plannedPoints()).append(" points finished (")
                .append(run.strategies().size()).append(" strategies &times; ").append(run.fractions().size()).append(" fractions). ")
                .append("Each point is the model with the chosen layers skipped, evaluated without a checkpoint.</p>\n");
        h.append("<p class=\"note\">").append(esc(healing(run))).append("</p>\n");

        h.append("<h2>Plots</h2>\n");
        for (Report.Plot p : plots) {
            h.append("<figure><img alt=\"").append(esc(p.figure().title())).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(p.png())).append("\"><figcaption>").append(esc(caption(p.figure())))
                    .append("</figcaption></figure>\n");
        }

        h.append("<h2>Results</h2>\n<p>Value &plusmn; stderr of each task's plotted metric; points that remove the same layers as an earlier one "
                + "share its evaluation.</p>\n<table>\n");
        List<String> head = new ArrayList<>(List.of("strategy", "fraction", "n", "removed"));
        for (TaskMetric t : run.tasks()) head.add(t.task().equals(t.metric()) ? t.task() : t.task() + " " + t.metric());
        head.addAll(List.of("seconds", "healed", "evaluation"));
        row(h, "th", head);
        for (PointResult p : run.points()) {
            List<String> cells = new ArrayList<>(List.of(p.point().strategy(), p.point().fraction(), String.valueOf(p.point().n()), p.point().removedText()));
            for (TaskMetric t : run.tasks()) cells.add(p.score(t.task(), t.metric()).map(HtmlReport::score).orElse(""));
            cells.add(String.format(Locale.ROOT, "%.1f", p.seconds()));
            cells.add(p.heal() == null ? "" : String.format(Locale.ROOT, "%s: %,d tokens, heal held-out %.4f → %.4f", p.healing().cliName(), p.heal().tokens(),
                    p.heal().lossBefore(), p.heal().lossAfter()));
            cells.add(p.reusedFrom() == null ? "" : "shared with " + p.reusedFrom().label());
            row(h, "td", cells);
        }
        h.append("</table>\n");

        h.append("<h2>Layers removed</h2>\n<table>\n");
        List<String> fractions = new ArrayList<>(List.of("strategy"));
        fractions.addAll(run.fractions());
        row(h, "th", fractions);
        for (String s : run.strategies()) {
            List<String> cells = new ArrayList<>(List.of(s));
            for (String f : run.fractions()) {
                cells.add(run.pointsOf(s).stream().filter(p -> p.point().fraction().equals(f)).findFirst()
                        .map(p -> p.point().removedText() + " (n=" + p.point().n() + ")").orElse(""));
            }
            row(h, "td", cells);
        }
        h.append("</table>\n");

        h.append("<h2>Greedy continuations</h2>\n<p>The model without the angular strategy's block at each level (prompt in bold).</p>\n");
        String level = null;
        for (Generation g : run.generations()) {
            String l = "angular, fraction " + g.fraction() + ": " + (g.n() == 0 ? "all " + m.numLayers() + " layers"
                    : g.n() + " of " + m.numLayers() + " layers removed (" + Layers.format(g.removed().stream().mapToInt(Integer::intValue).toArray()) + ")");
            if (!l.equals(level)) h.append("<h3>").append(esc(l)).append("</h3>\n");
            level = l;
            boolean startsWithPrompt = g.text().startsWith(g.prompt());
            h.append("<div class=\"gen\"><b>").append(esc(startsWithPrompt ? g.prompt() : "")).append("</b>")
                    .append(esc(startsWithPrompt ? g.text().substring(g.prompt().length()) : g.text())).append("</div>\n");
        }

        h.append("<h2>Options</h2>\n<pre>").append(esc(pretty(run))).append("</pre>\n");
        h.append("<p><small>Shallow ").append(esc(Version.VERSION)).append(", from ").append(esc(run.dir().toString())).append("</small></p>\n");
        return h.append("</body>\n</html>\n").toString();
    }

    /** "healed with LoRA ..." from run.json's heal options, or that there is no healing. */
    static String healing(SweepRun run) {
        if (!run.heals()) {
            return "No healing: every point is the pruned model as it is (run the sweep with --heal for healed points), so the loss plot "
                    + "has no healed series and every point's healed field is false.";
        }
        JsonNode o = run.run().path("options").path("heal");
        List<String> targets = new ArrayList<>();
        o.path("targets").forEach(t -> targets.add(t.asText()));
        List<String> methods = run.healing().stream().map(m -> m.cliName() + " (" + m.description() + ")").toList();
        return String.format(Locale.ROOT, "Every pruned point is also healed by %s and evaluated again: rows marked with the method; dashed or dotted "
                        + "in the loss plot, a line style per method. Training: LoRA (rank %d, alpha %s, dropout %s on %s%s), %,d tokens of %s "
                        + "(%d x %d tokens a step, learning rate %s, cosine), merged. The other plots are the unhealed points.",
                String.join(", ", methods),
                o.path("rank").asInt(), o.path("alpha").asText(), o.path("dropout").asText(), String.join(", ", targets),
                o.path("nf4").asBoolean() ? ", NF4 base" : "", o.path("tokens").asLong(), o.path("data").asText(), o.path("batch").asInt(),
                o.path("seq_len").asInt(), o.path("lr").asText());
    }

    private static String caption(Figure f) {
        return switch (f) {
            case Figure.Lines l when l.name().equals(Figures.LOSS) -> f.title() + ": loss in nats per token of the held-out text, one line per strategy"
                    + (l.lines().stream().anyMatch(s -> Figures.healing(s.name()) != null) ? "; dashed or dotted: healed, by the method named."
                    : "; healed series absent (no healing: sweep with --heal).")
                    + SAME_LAYERS;
            case Figure.Lines l -> f.title() + ": one line per strategy" + (l.guides().isEmpty() ? "." : "; dashed: random guessing.") + SAME_LAYERS;
            case Figure.Bars b -> f.title() + (b.guides().isEmpty() ? "." : "; dashed: all layers.");
            case Figure.HeatMap hm when hm.name().equals(Figures.HEADS) -> f.title() + ": ShortGPT Fig. 6; the layer-level scores follow.";
            case Figure.HeatMap hm -> f.title() + "; the outlined cell in each column is the block the angular strategy removes.";
        };
    }

    private static String score(TaskScore s) {
        return Double.isNaN(s.stderr()) ? String.format(Locale.ROOT, "%.4f", s.value()) : String.format(Locale.ROOT, "%.4f ± %.4f", s.value(), s.stderr());
    }

    private static String pretty(SweepRun run) {
        try {
            return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(run.run().path("options"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One table row of escaped cells, the first left-aligned. */
    private static void row(StringBuilder h, String cell, List<String> cells) {
        h.append("<tr>");
        for (int i = 0; i < cells.size(); i++) {
            h.append('<').append(cell).append(i == 0 ? " class=\"l\"" : "").append('>').append(esc(cells.get(i))).append("</").append(cell).append('>');
        }
        h.append("</tr>\n");
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
