package dev.shallow.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.Finite;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Evaluation results in the layout of lm-evaluation-harness's results JSON ({@code results} with
 * {@code "acc,none"} and {@code "acc_stderr,none"} per task, {@code groups}, {@code group_subtasks}, {@code configs},
 * {@code n-shot}, {@code higher_is_better}, {@code n-samples}, {@code config}), and its per-document samples as JSON lines.
 */
public final class ResultsJson {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ResultsJson() {
    }

    /** "metric,filter": a metric named with a filter keeps it, others get the harness's "none". */
    public static String key(String metric) {
        return metric.contains(",") ? metric : metric + ",none";
    }

    /** "metric_stderr,filter". */
    public static String stderrKey(String metric) {
        String k = key(metric);
        int comma = k.indexOf(',');
        return k.substring(0, comma) + "_stderr" + k.substring(comma);
    }

    public static ObjectNode toJson(Evaluator.Results results, ObjectNode config, String version) {
        ObjectNode root = F.objectNode();
        ObjectNode res = root.putObject("results");
        ObjectNode groups = F.objectNode();
        ObjectNode subtasks = F.objectNode();
        ObjectNode configs = F.objectNode(), versions = F.objectNode(), nShot = F.objectNode(), better = F.objectNode(), nSamples = F.objectNode();
        for (Evaluator.TaskResult t : results.tasks()) {
            String name = t.task().name();
            ObjectNode r = res.putObject(name);
            r.put("alias", name);
            putScores(r, name, t.scores());
            ObjectNode c = configs.putObject(name);
            c.put("task", name);
            c.put("num_fewshot", t.task().shots());
            ArrayNode files = c.putArray("data_files");
            t.task().files().forEach(f -> files.add(f.toString()));
            ArrayNode metrics = c.putArray("metric_list");
            for (Metric m : t.task().metrics()) {
                ObjectNode mo = metrics.addObject();
                mo.put("metric", m.name());
                mo.put("aggregation", m.aggregation().name().toLowerCase());
                mo.put("higher_is_better", m.higherIsBetter());
            }
            versions.put(name, version);
            nShot.put(name, t.task().shots());
            ObjectNode hb = better.putObject(name);
            for (Metric m : t.task().metrics()) hb.put(m.name(), m.higherIsBetter());
            ObjectNode ns = nSamples.putObject(name);
            ns.put("original", t.task().size());
            ns.put("effective", t.evaluated());
        }
        for (Evaluator.GroupResult g : results.groups()) {
            String name = g.group().name();
            ObjectNode r = F.objectNode();
            r.put("alias", name);
            putScores(r, name, g.scores());
            // Shallow's addition: the unweighted mean over the group's tasks (the harness reports the per-document mean)
            g.macro().forEach((metric, value) -> r.put(key(metric).replaceFirst(",", "_macro,"), value));
            res.set(name, r);
            groups.set(name, r.deepCopy());
            ArrayNode members = subtasks.putArray(name);
            g.group().members().forEach(members::add);
            versions.put(name, version);
        }
        if (!groups.isEmpty()) root.set("groups", groups);
        root.set("group_subtasks", subtasks);
        root.set("configs", configs);
        root.set("versions", versions);
        root.set("n-shot", nShot);
        root.set("higher_is_better", better);
        root.set("n-samples", nSamples);
        root.set("config", config);
        return root;
    }

    /** A NaN value is refused (never written as a result); a NaN stderr is the harness's "N/A". */
    private static void putScores(ObjectNode r, String task, List<Evaluator.Score> scores) {
        for (Evaluator.Score s : scores) {
            r.put(key(s.metric().name()), Finite.notNaN(s.value(), task + " " + s.metric().name()));
            if (Double.isNaN(s.stderr())) r.put(stderrKey(s.metric().name()), "N/A");
            else r.put(stderrKey(s.metric().name()), s.stderr());
        }
    }

    public static void write(Path file, Evaluator.Results results, ObjectNode config, String version) {
        AtomicFiles.writeJson(file, toJson(results, config, version));
    }

    /** One JSON line per document: doc_id, doc, arguments (the requests), resps (the responses) and each metric's value. */
    public static void writeSamples(Path file, Evaluator.TaskResult task) {
        AtomicFiles.write(file, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (Evaluator.DocResult d : task.docs()) {
                    w.write(MAPPER.writeValueAsString(sample(task.task(), d)));
                    w.write('\n');
                }
            }
        });
    }

    static ObjectNode sample(Task task, Evaluator.DocResult d) {
        ObjectNode o = F.objectNode();
        o.put("doc_id", d.doc());
        o.set("doc", MAPPER.valueToTree(task.describe(d.doc())));
        ArrayNode args = o.putArray("arguments");
        for (Request r : d.requests()) args.add(arguments(r));
        ArrayNode resps = o.putArray("resps");
        for (Response r : d.responses()) resps.add(response(r));
        for (Metric m : task.metrics()) { // the task's order: a task's samples map (Map.of) iterates differently from run to run
            Sample s = d.samples().get(m.name());
            if (s.weight() == 1) o.put(m.name(), s.value());
            else o.putArray(m.name()).add(s.value()).add(s.weight());
        }
        return o;
    }

    private static JsonNode arguments(Request r) {
        ArrayNode a = F.arrayNode();
        switch (r) {
            case Request.Loglikelihood ll -> a.add(ll.context()).add(ll.continuation());
            case Request.Rolling rolling -> a.add(rolling.text());
            case Request.Generate g -> {
                a.add(g.context());
                ObjectNode kw = a.addObject();
                ArrayNode until = kw.putArray("until");
                g.until().forEach(until::add);
                kw.put("max_gen_toks", g.maxTokens());
                kw.put("do_sample", false);
            }
        }
        return a;
    }

    private static JsonNode response(Response r) {
        ArrayNode a = F.arrayNode();
        switch (r) {
            case Response.Loglikelihood ll -> a.add(ll.logLikelihood()).add(ll.isGreedy());
            case Response.Rolling rolling -> a.add(rolling.logLikelihood()).add(rolling.tokens());
            case Response.Generated g -> a.add(g.text());
        }
        return a;
    }
}
