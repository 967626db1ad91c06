package dev.shallow.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.io.Finite;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A finished point: one line of {@code results.jsonl}.
 *
 * @param reusedFrom the earlier point that removed the same layers and whose evaluation this point shares (null when
 *                   this point was evaluated itself)
 * @param healing    how the pruned model was healed before evaluation (a healing sweep's lines after the point's unhealed one),
 *                   or null when it was not
 * @param scores     every task's and group's metrics, in the order the evaluator reports them
 * @param seconds    wall time of the evaluation (0 for a reused one)
 * @param heal       how the model was healed (null when it was not; a reused healed point repeats the earlier one's)
 */
public record PointResult(Point point, Point reusedFrom, HealMethod healing, List<TaskScore> scores, double seconds, HealSummary heal) implements Serializable {
    public PointResult {
        scores = List.copyOf(scores);
        if ((healing != null) != (heal != null)) throw new IllegalArgumentException("a healed point needs its heal summary, an unhealed one has none");
    }

    /** An unhealed point. */
    public PointResult(Point point, Point reusedFrom, List<TaskScore> scores, double seconds) {
        this(point, reusedFrom, null, scores, seconds, null);
    }

    /** Whether the pruned model was healed before evaluation. */
    public boolean healed() {
        return healing != null;
    }

    public Optional<TaskScore> score(String task, String metric) {
        return scores.stream().filter(s -> s.task().equals(task) && s.metric().equals(metric)).findFirst();
    }

    /**
     * One line of results.jsonl; a stderr the harness reports as "N/A" (NaN) written as null, infinities as the strings
     * "Infinity" and "-Infinity"; a value that is NaN is refused, naming the point and metric.
     */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("strategy", point.strategy());
        o.put("fraction", point.fraction());
        o.put("n", point.n());
        ArrayNode removed = o.putArray("removed");
        point.removed().forEach(removed::add);
        if (!point.attention().isEmpty() || !point.mlp().isEmpty()) {
            point.attention().forEach(o.putArray("removed_attention")::add);
            point.mlp().forEach(o.putArray("removed_mlp")::add);
        }
        o.put("healed", healed());
        if (healing != null) o.put("healing", healing.cliName());
        if (reusedFrom != null) {
            ObjectNode r = o.putObject("reused_from");
            r.put("strategy", reusedFrom.strategy());
            r.put("fraction", reusedFrom.fraction());
        }
        o.put("seconds", seconds);
        if (heal != null) o.set("heal", heal.toJson());
        ObjectNode byTask = o.putObject("scores");
        for (TaskScore s : scores) {
            ObjectNode m = byTask.withObjectProperty(s.task()).putObject(s.metric());
            number(m, "value", Finite.notNaN(s.value(), point.label() + ": " + s.task() + " " + s.metric()));
            number(m, "stderr", s.stderr());
        }
        return o;
    }

    /** Reads {@link #toJson}'s form; a missing or mistyped field is an {@link IllegalArgumentException} naming it. */
    public static PointResult fromJson(JsonNode o) {
        List<Integer> removed = new ArrayList<>();
        for (JsonNode l : field(o, "removed")) removed.add(l.intValue());
        List<Integer> attention = layers(o, "removed_attention"), mlp = layers(o, "removed_mlp");
        Point point = new Point(text(o, "strategy"), text(o, "fraction"), field(o, "n").intValue(), removed, attention, mlp);
        JsonNode r = o.get("reused_from");
        Point reusedFrom = r == null ? null : new Point(text(r, "strategy"), text(r, "fraction"), point.n(), removed, attention, mlp);
        List<TaskScore> scores = new ArrayList<>();
        for (Map.Entry<String, JsonNode> task : field(o, "scores").properties()) {
            for (Map.Entry<String, JsonNode> metric : task.getValue().properties()) {
                scores.add(new TaskScore(task.getKey(), metric.getKey(), number(metric.getValue(), "value"), number(metric.getValue(), "stderr")));
            }
        }
        boolean healed = field(o, "healed").asBoolean();
        HealMethod healing = !healed ? null : o.has("healing") ? HealMethod.of(text(o, "healing")) : HealMethod.LORA; // LoRA before methods were named
        return new PointResult(point, reusedFrom, healing, scores, field(o, "seconds").asDouble(), healed ? HealSummary.fromJson(field(o, "heal")) : null);
    }

    /** An optional list of layer indices (absent: none). */
    private static List<Integer> layers(JsonNode o, String key) {
        List<Integer> out = new ArrayList<>();
        JsonNode a = o.get(key);
        if (a == null) return out;
        if (!a.isArray()) throw new IllegalArgumentException("\"" + key + "\" is not a list");
        for (JsonNode l : a) {
            if (!l.isIntegralNumber()) throw new IllegalArgumentException("\"" + key + "\" holds a non-integer");
            out.add(l.intValue());
        }
        return out;
    }

    private static JsonNode field(JsonNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null) throw new IllegalArgumentException("no \"" + key + "\"");
        return v;
    }

    private static String text(JsonNode o, String key) {
        JsonNode v = field(o, key);
        if (!v.isTextual()) throw new IllegalArgumentException("\"" + key + "\" is not a string");
        return v.asText();
    }

    private static double number(JsonNode o, String key) {
        JsonNode v = field(o, key);
        if (v.isNull()) return Double.NaN;
        if (v.isTextual() && v.asText().endsWith("Infinity")) return Double.parseDouble(v.asText());
        if (!v.isNumber()) throw new IllegalArgumentException("\"" + key + "\" is not a number");
        return v.doubleValue();
    }

    private static void number(ObjectNode o, String key, double v) {
        if (Double.isNaN(v)) o.putNull(key);
        else o.put(key, v);
    }
}
