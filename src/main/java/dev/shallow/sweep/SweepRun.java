package dev.shallow.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.ShallowException;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.ModelIdentity;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a sweep directory holds, read without changing it (a partly written last result line is left out).
 *
 * @param run         run.json as written: model, options, tasks
 * @param tasks       the metric plotted for each task, with its chance level
 * @param generations empty until the sweep has made them
 * @param points      the finished points, in run order
 */
public record SweepRun(Path dir, JsonNode run, ModelIdentity model, List<String> strategies, List<String> fractions, List<TaskMetric> tasks,
                       Analysis analysis, List<Generation> generations, List<PointResult> points) {

    public static SweepRun read(Path dir) {
        RunDirectory d = new RunDirectory(dir);
        if (!Files.exists(d.file(RunDirectory.RUN))) throw ShallowException.at(dir, "is not a sweep directory (no " + RunDirectory.RUN + ")");
        JsonNode run = d.run();
        ModelIdentity model = ModelIdentity.fromJson(run.path("model"));
        Path analysisFile = d.file(RunDirectory.ANALYSIS);
        if (!Files.exists(analysisFile)) throw ShallowException.at(analysisFile, "not found: the sweep has not finished its analysis yet");
        List<TaskMetric> tasks = new ArrayList<>();
        run.path("tasks").forEach(t -> tasks.add(TaskMetric.fromJson(t)));
        Path generations = d.file(RunDirectory.GENERATIONS);
        return new SweepRun(dir, run, model, texts(run.path("options").path("strategies")), texts(run.path("options").path("fractions")), tasks,
                Analysis.readFor(analysisFile, model), Files.exists(generations) ? Generations.read(generations) : List.of(),
                ResultsFile.read(d.file(RunDirectory.RESULTS)));
    }

    /** Lines the sweep plans: every strategy at every fraction, and with healing again healed by each method at every fraction that prunes. */
    public int plannedPoints() {
        long pruning = fractions.stream().filter(f -> Fractions.layers(f, model.numLayers()) > 0).count();
        return (int) (strategies.size() * (fractions.size() + pruning * healing().size()));
    }

    /** Whether the sweep heals its pruned points (run.json has heal options). */
    public boolean heals() {
        return run.path("options").has("heal");
    }

    /** The healing methods run.json names (LoRA alone when it has heal options but names none, as before methods were named). */
    public List<HealMethod> healing() {
        if (!heals()) return List.of();
        JsonNode named = run.path("options").path("healing");
        if (named.isMissingNode()) return List.of(HealMethod.LORA);
        List<HealMethod> methods = new ArrayList<>();
        named.forEach(m -> methods.add(HealMethod.of(m.asText())));
        return methods;
    }

    /** The finished points of {@code strategy}, in fraction order. */
    public List<PointResult> pointsOf(String strategy) {
        return points.stream().filter(p -> p.point().strategy().equals(strategy)).toList();
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asText()));
        return out;
    }
}
