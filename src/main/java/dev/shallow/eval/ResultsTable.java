package dev.shallow.eval;

import java.util.List;
import java.util.Locale;

/** The results as the harness prints them: one Markdown row per task and metric (value ± stderr), then the groups. */
public final class ResultsTable {
    private ResultsTable() {
    }

    public static String format(Evaluator.Results results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| Tasks | n-shot | n | Metric |   | Value |   | Stderr |\n");
        sb.append("|---|---:|---:|---|---|---:|---|---:|\n");
        for (Evaluator.TaskResult t : results.tasks()) rows(sb, t.task().name(), t.task().shots(), t.evaluated(), t.scores());
        if (!results.groups().isEmpty()) {
            sb.append("\n| Groups | n | Metric |   | Value (per document) |   | Stderr | mean over tasks |\n");
            sb.append("|---|---:|---|---|---:|---|---:|---:|\n");
            for (Evaluator.GroupResult g : results.groups()) {
                for (Evaluator.Score s : g.scores()) {
                    sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %.4f | ± | %s | %.4f |%n", g.group().name(), g.size(),
                            s.metric().name(), arrow(s.metric()), s.value(), stderr(s.stderr()), g.macro().get(s.metric().name())));
                }
            }
        }
        return sb.toString();
    }

    private static void rows(StringBuilder sb, String name, int shots, int n, List<Evaluator.Score> scores) {
        for (Evaluator.Score s : scores) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %s | %s | %.4f | ± | %s |%n", name, shots, n, s.metric().name(),
                    arrow(s.metric()), s.value(), stderr(s.stderr())));
        }
    }

    private static String arrow(Metric m) {
        return m.higherIsBetter() ? "↑" : "↓";
    }

    private static String stderr(double se) {
        return Double.isNaN(se) ? "N/A" : String.format(Locale.ROOT, "%.4f", se);
    }
}
