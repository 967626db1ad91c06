package dev.shallow.sweep;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.analysis.AnalysisOptions;
import dev.shallow.data.CalibrationOptions;
import dev.shallow.data.Datasets;
import dev.shallow.eval.TaskOptions;
import dev.shallow.eval.task.TaskRegistry;
import dev.shallow.heal.HealOptions;
import dev.shallow.prune.Strategy;

import java.io.Serial;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything that decides a sweep's results; {@code run.json} records it and a resumed sweep must be given the same.
 *
 * @param strategies  the strategies, in the order each fraction's points are run
 * @param fractions   canonical fractions, ascending ({@link Fractions#parse})
 * @param tasks       evaluation tasks or groups as {@code shallow eval --tasks} takes them; the {@code loss} task on
 *                    {@code lossData} is always added
 * @param limit       documents per task (0: all)
 * @param shots       few-shot examples ({@link TaskOptions#DEFAULT_SHOTS}: each task's default)
 * @param fewshotSeed seed of few-shot sampling
 * @param seed        seed of the {@code random} strategy
 * @param addBos      encode evaluation requests with the tokenizer's special tokens
 * @param dataDir     task data, laid out like {@code ../shared/data}
 * @param calibration the analysis' calibration text; named datasets are looked up in {@code sharedData}
 * @param analysis    the analysis options (the single-layer ablation and any greedy removal the strategies need are added)
 * @param heal        null: no healing; else every pruned point (n &gt; 0) is also healed with these options and evaluated
 *                    again ({@code data} must not be {@code lossData}: the sweep would train on the text it evaluates)
 * @param healing     the healing methods, each a line per pruned point (empty without healing)
 */
public record SweepOptions(List<Strategy> strategies, List<String> fractions, List<String> tasks, Path lossData, String lossField,
                           int limit, int shots, long fewshotSeed, long seed, boolean addBos, Path dataDir,
                           CalibrationOptions calibration, Path sharedData, AnalysisOptions analysis, HealOptions heal,
                           List<HealMethod> healing) implements Serializable {
    public SweepOptions {
        healing = List.copyOf(healing);
        if ((heal == null) != healing.isEmpty()) throw new IllegalArgumentException("healing methods need heal options and heal options a method");
        if (strategies.isEmpty()) throw new ShallowException("--strategies: give at least one (" + Strategy.names() + ")");
        if (strategies.stream().distinct().count() < strategies.size()) throw new ShallowException("--strategies: a strategy is given twice");
        if (fractions.isEmpty()) throw new ShallowException("--fractions: no fractions given");
        if (lossData == null) throw new ShallowException("a sweep needs --loss-data FILE: the held-out text whose loss it measures at every point");
        if (limit < 0) throw new ShallowException("--limit must be at least 1 document, got " + limit);
        strategies = List.copyOf(strategies);
        fractions = List.copyOf(fractions);
        List<String> all = new ArrayList<>(tasks);
        if (!all.contains(TaskRegistry.LOSS)) all.add(TaskRegistry.LOSS);
        tasks = List.copyOf(all);
        lossData = absolute(lossData);
        dataDir = absolute(dataDir);
        sharedData = absolute(sharedData);
        if (heal != null && Datasets.resolve(heal.data(), heal.textField(), sharedData).file().toAbsolutePath().normalize().equals(lossData)) {
            throw new ShallowException("--heal-data is --loss-data (" + lossData + "): the sweep would train on the text it evaluates; give other text");
        }
        for (Strategy s : strategies) {
            if (heal != null && s.removesSubBlocks()) throw new ShallowException("--heal: healing a model without sub-blocks is not supported (--strategies " + s.cliName() + ")");
        }
    }

    /** A sweep without healing. */
    public SweepOptions(List<Strategy> strategies, List<String> fractions, List<String> tasks, Path lossData, String lossField,
                        int limit, int shots, long fewshotSeed, long seed, boolean addBos, Path dataDir,
                        CalibrationOptions calibration, Path sharedData, AnalysisOptions analysis) {
        this(strategies, fractions, tasks, lossData, lossField, limit, shots, fewshotSeed, seed, addBos, dataDir, calibration, sharedData, analysis, null,
                List.of());
    }

    /** These options, healing every pruned point with LoRA and {@code heal} (null: without healing). */
    public SweepOptions withHeal(HealOptions heal) {
        return withHeal(heal, heal == null ? List.of() : List.of(HealMethod.LORA));
    }

    /** These options, healing every pruned point by each of {@code methods} with {@code heal}. */
    public SweepOptions withHeal(HealOptions heal, List<HealMethod> methods) {
        return new SweepOptions(strategies, fractions, tasks, lossData, lossField, limit, shots, fewshotSeed, seed, addBos, dataDir, calibration,
                sharedData, analysis, heal, methods);
    }

    /** These options with another calibration text (the same analysis and healing otherwise). */
    public SweepOptions withCalibration(CalibrationOptions calibration) {
        return new SweepOptions(strategies, fractions, tasks, lossData, lossField, limit, shots, fewshotSeed, seed, addBos, dataDir, calibration,
                sharedData, analysis, heal, healing);
    }

    public boolean heals() {
        return heal != null;
    }

    /** {@link #analysis} with the single-layer ablation (for the ablation plot) and what each strategy needs to remove up to {@code maxN} layers. */
    public AnalysisOptions analysisOptions(int maxN) {
        AnalysisOptions options = analysis.withAblation();
        for (Strategy s : strategies) options = s.analysisOptions(options, Math.max(maxN, 1));
        return options;
    }

    /** The options as run.json records them (paths absolute). */
    public ObjectNode toJson(int maxN) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        ArrayNode s = o.putArray("strategies");
        strategies.forEach(x -> s.add(x.cliName()));
        ArrayNode f = o.putArray("fractions");
        fractions.forEach(f::add);
        ArrayNode t = o.putArray("tasks");
        tasks.forEach(t::add);
        o.put("loss_data", lossData.toString());
        o.put("loss_field", lossField);
        o.put("limit", limit);
        o.put("shots", shots);
        o.put("fewshot_seed", fewshotSeed);
        o.put("seed", seed);
        o.put("add_bos_token", addBos);
        o.put("data_dir", dataDir.toString());
        o.set("calibration", calibration.toJson());
        o.put("shared_data", sharedData.toString());
        o.set("analysis", analysisOptions(maxN).toJson());
        if (heal != null) o.set("heal", heal.toJson()); // absent, not null, without healing: run.json as before
        if (!healing.isEmpty() && !healing.equals(List.of(HealMethod.LORA))) { // absent: LoRA alone, as run.json was before methods were named
            ArrayNode h = o.putArray("healing");
            healing.forEach(m -> h.add(m.cliName()));
        }

        return o;
    }

    /** Java serialization (a distributed sweep's tasks carry the options): a {@link Path} is not serializable, so the paths travel as text. */
    @Serial
    private Object writeReplace() {
        return new Shipped(strategies, fractions, tasks, lossData.toString(), lossField, limit, shots, fewshotSeed, seed, addBos, Objects.toString(dataDir, null),
                calibration, Objects.toString(sharedData, null), analysis, heal, healing);
    }

    private record Shipped(List<Strategy> strategies, List<String> fractions, List<String> tasks, String lossData, String lossField, int limit, int shots,
                           long fewshotSeed, long seed, boolean addBos, String dataDir, CalibrationOptions calibration, String sharedData,
                           AnalysisOptions analysis, HealOptions heal, List<HealMethod> healing) implements Serializable {
        @Serial
        private Object readResolve() {
            return new SweepOptions(strategies, fractions, tasks, Path.of(lossData), lossField, limit, shots, fewshotSeed, seed, addBos, path(dataDir),
                    calibration, path(sharedData), analysis, heal, healing);
        }

        private static Path path(String p) {
            return p == null ? null : Path.of(p);
        }
    }

    private static Path absolute(Path p) {
        return p == null ? null : p.toAbsolutePath().normalize();
    }
}
