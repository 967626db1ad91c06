package dev.shallow.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.io.Finite;
import dev.shallow.io.StrictJson;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * analysis.json: the {@link Analysis} record as JSON, and its validating reader. null stands only for what is not defined
 * (d(x_l, x_{l+n}) past the last layer) or not computed; a metric that came out NaN is refused, naming it.
 */
final class AnalysisJson {
    static final String FORMAT = "shallow-analysis";
    static final int VERSION = 1;
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private AnalysisJson() {
    }

    static ObjectNode toJson(Analysis a) {
        ObjectNode o = F.objectNode();
        o.put("format", FORMAT);
        o.put("version", VERSION);
        ObjectNode conv = o.putObject("conventions");
        conv.put("layers", "0-indexed; x_l = residual stream entering layer l, x_L = output of the last layer before the final norm");
        conv.put("angular_distance", "angular_distance[l][n-1] = d(x_l, x_{l+n}) = arccos(clamp(cos, -1, 1)) / pi, averaged over the "
                + (a.angularTokens().equals("last") ? "last token of each sequence" : "tokens of all sequences") + "; null where l+n > L");
        conv.put("block_influence", "block_influence[l] = 1 - mean over all tokens of cos(x_l, x_{l+1})");
        conv.put("relative_magnitude", "relative_magnitude[l] = mean over all tokens of ||x_{l+1} - x_l|| / ||x_{l+1}||");
        conv.put("cka", "cka[l][m] = linear CKA(x_l, x_m) (Kornblith et al. 2019), Gram form on a token sample: the last token of every"
                + " sequence plus seeded other tokens (position 0 excluded), options.analysis.cka_tokens at most; null when not computed");
        conv.put("loss", "mean next-token negative log-likelihood in nats over every predicted calibration token");
        conv.put("greedy", "greedy[metric] = the layers (original indices) a greedy iterative removal by that metric took out, in order,"
                + " each with the score that chose it, re-measured on the model pruned so far (bi, angular: that layer's metric; loss: the"
                + " calibration loss after removing it)");
        conv.put("sub_blocks", "per layer l, across its attention (x_l to m_l = x_l + Attn) and its MLP (m_l to x_{l+1}): block influence"
                + " = 1 - mean over all tokens of cos (also LLM-Drop's importance), angular distance as angular_distance; ablation losses with"
                + " that sub-block removed; head_ablation_loss[l][h] with query head h's slice of o_proj's input zeroed, group_ablation_loss[l][g]"
                + " with every query head of key/value group g zeroed (null without grouped-query attention); greedy: BlockPruner's removal"
                + " order by calibration loss, run while a sub-block fitted in greedy_layers layers' parameters; parameters: each sub-block's, norms included");
        conv.put("best_block", "for each n, the block l*..l*+n-1 with l* = argmin_l angular_distance[l][n-1] (convenience; derived)");
        o.set("model", a.model().toJson());
        o.set("options", a.options());
        o.put("num_layers", a.numLayers());
        o.put("angular_tokens", a.angularTokens());
        o.set("angular_distance", angular(a.angularDistance()));
        ArrayNode best = o.putArray("best_block");
        for (int n = 1; n <= a.numLayers(); n++) {
            int l = a.bestBlockStart(n);
            ObjectNode b = best.addObject();
            b.put("n", n);
            b.put("start", l);
            ArrayNode layers = b.putArray("layers");
            for (int i = l; i < l + n; i++) layers.add(i);
            b.put("distance", a.angularDistance()[l][n - 1]);
        }
        o.set("block_influence", vector(a.blockInfluence(), "block_influence"));
        o.set("relative_magnitude", vector(a.relativeMagnitude(), "relative_magnitude"));
        o.set("cka", a.cka() == null ? F.nullNode() : matrix(a.cka(), "cka"));
        o.set("ablation_loss", a.ablationLoss() == null ? F.nullNode() : vector(a.ablationLoss(), "ablation_loss"));
        if (a.ablationLoss() == null) o.putNull("baseline_loss");
        else o.put("baseline_loss", Finite.require(a.baselineLoss(), "analysis: baseline_loss"));
        if (a.subBlocks() != null) o.set("sub_blocks", subBlocks(a.subBlocks()));
        ObjectNode greedy = o.putObject("greedy");
        for (GreedyRemoval.Metric metric : GreedyRemoval.Metric.values()) {
            List<GreedyRemoval.Step> steps = a.greedy().get(metric);
            if (steps == null) continue;
            ArrayNode order = greedy.putArray(metric.label());
            for (GreedyRemoval.Step step : steps) {
                order.addObject().put("layer", step.removedLayer())
                        .put("score", Finite.require(step.score(), "analysis: greedy " + metric.label() + " score of removing layer " + step.removedLayer()));
            }
        }
        return o;
    }

    private static ObjectNode subBlocks(SubBlockAnalysis s) {
        ObjectNode o = F.objectNode();
        ObjectNode p = o.putObject("parameters");
        for (SubBlock.Kind k : SubBlock.Kind.values()) {
            ArrayNode a = p.putArray(k.label());
            for (long n : k == SubBlock.Kind.ATTENTION ? s.sizes().attention() : s.sizes().mlp()) a.add(n);
        }
        SubBlockMetrics m = s.metrics();
        o.set("attention_block_influence", vector(m.attentionInfluence(), "attention_block_influence"));
        o.set("mlp_block_influence", vector(m.mlpInfluence(), "mlp_block_influence"));
        o.set("attention_angular_distance", vector(m.attentionAngular(), "attention_angular_distance"));
        o.set("mlp_angular_distance", vector(m.mlpAngular(), "mlp_angular_distance"));
        o.set("attention_ablation_loss", s.attentionAblation() == null ? F.nullNode() : vector(s.attentionAblation(), "attention_ablation_loss"));
        o.set("mlp_ablation_loss", s.mlpAblation() == null ? F.nullNode() : vector(s.mlpAblation(), "mlp_ablation_loss"));
        HeadAblation h = s.heads();
        o.set("head_ablation_loss", h == null ? F.nullNode() : matrix(h.heads(), "head_ablation_loss"));
        o.set("group_ablation_loss", h == null || h.groups() == null ? F.nullNode() : matrix(h.groups(), "group_ablation_loss"));
        o.put("greedy_layers", s.greedyLayers());
        ArrayNode g = o.putArray("greedy");
        for (SubBlockGreedy.Step step : s.greedy()) {
            g.addObject().put("kind", step.block().kind().label()).put("layer", step.block().layer())
                    .put("loss", Finite.require(step.loss(), "analysis: greedy sub-block loss of removing " + step.block()));
        }
        return o;
    }

    /** {@code name[i]}: the metric of layer i, each finite. */
    private static ArrayNode vector(double[] v, String name) {
        ArrayNode a = F.arrayNode();
        for (int i = 0; i < v.length; i++) a.add(Finite.require(v[i], "analysis: " + name + "[" + i + "] (layer " + i + ")"));
        return a;
    }

    private static ArrayNode matrix(double[][] m, String name) {
        ArrayNode a = F.arrayNode();
        for (int i = 0; i < m.length; i++) a.add(vector(m[i], name + "[" + i + "]"));
        return a;
    }

    /** angular_distance[l][n-1], finite where l + n <= L, null past the last layer. */
    private static ArrayNode angular(double[][] d) {
        ArrayNode a = F.arrayNode();
        for (int l = 0; l < d.length; l++) {
            ArrayNode row = a.addArray();
            for (int c = 0; c < d[l].length; c++) {
                if (c < d.length - l) row.add(Finite.require(d[l][c], "analysis: angular distance d(x_" + l + ", x_" + (l + c + 1) + ")"));
                else row.addNull();
            }
        }
        return a;
    }

    /** Reads and validates; every problem is one line naming the file and the field. */
    static Analysis read(Path file) {
        JsonNode o = StrictJson.readObject(file);
        Reader r = new Reader(file);
        if (!FORMAT.equals(o.path("format").asText()) || o.path("version").asInt() != VERSION) {
            throw r.fail("not a Shallow analysis (format \"" + FORMAT + "\", version " + VERSION + " expected)");
        }
        JsonNode m = r.object(o, "model");
        for (String key : new String[]{"path", "architecture", "fingerprint"}) if (!m.path(key).isTextual()) throw r.fail("model." + key + " missing");
        ModelIdentity id = ModelIdentity.fromJson(m);
        int layers = r.positiveInt(o, "num_layers");
        if (id.numLayers() != layers) throw r.fail("num_layers " + layers + " differs from model.num_layers " + id.numLayers());
        String tokens = o.path("angular_tokens").asText();
        if (!tokens.equals("last") && !tokens.equals("all")) throw r.fail("angular_tokens must be \"last\" or \"all\"");
        double[][] angular = r.matrix(o, "angular_distance", layers, layers);
        for (int l = 0; l < layers; l++) {
            for (int c = 0; c < layers; c++) {
                boolean defined = c < layers - l; // entry [l][n-1] exists exactly when l + n <= L
                if (Double.isNaN(angular[l][c]) == defined) {
                    throw r.fail("angular_distance[" + l + "][" + c + "] must be " + (defined ? "a number" : "null") + " (l + n " + (defined ? "<=" : ">") + " L)");
                }
            }
        }
        double[] bi = r.vector(o, "block_influence", layers);
        double[] rel = r.vector(o, "relative_magnitude", layers);
        double[][] cka = o.path("cka").isNull() ? null : r.matrix(o, "cka", layers + 1, layers + 1);
        double[] ablation = o.path("ablation_loss").isNull() ? null : r.vector(o, "ablation_loss", layers);
        double baseline = o.path("baseline_loss").isNull() ? Double.NaN : r.number(o.get("baseline_loss"), "baseline_loss");
        SubBlockAnalysis subBlocks = o.has("sub_blocks") ? subBlocks(r, r.object(o, "sub_blocks"), layers) : null;
        return new Analysis(id, r.object(o, "options"), layers, tokens, angular, bi, rel, cka, ablation, baseline, greedy(r, o, layers), subBlocks);
    }

    /** sub_blocks: every per-layer array of L entries, the head matrices L rows of equal length, the greedy steps distinct sub-blocks. */
    private static SubBlockAnalysis subBlocks(Reader r, JsonNode s, int layers) {
        JsonNode p = r.object(s, "parameters");
        long[][] sizes = new long[2][];
        for (SubBlock.Kind k : SubBlock.Kind.values()) {
            double[] v = r.vector(p, k.label(), layers);
            sizes[k.ordinal()] = new long[layers];
            for (int l = 0; l < layers; l++) {
                if (v[l] < 0 || v[l] != Math.rint(v[l])) throw r.fail("sub_blocks.parameters." + k.label() + "[" + l + "] must be a count");
                sizes[k.ordinal()][l] = (long) v[l];
            }
        }
        SubBlockMetrics m = new SubBlockMetrics(r.vector(s, "attention_block_influence", layers), r.vector(s, "mlp_block_influence", layers),
                r.vector(s, "attention_angular_distance", layers), r.vector(s, "mlp_angular_distance", layers));
        double[] attention = s.path("attention_ablation_loss").isNull() ? null : r.vector(s, "attention_ablation_loss", layers);
        double[] mlp = s.path("mlp_ablation_loss").isNull() ? null : r.vector(s, "mlp_ablation_loss", layers);
        HeadAblation heads = s.path("head_ablation_loss").isNull() ? null
                : new HeadAblation(r.rows(s, "head_ablation_loss", layers), s.path("group_ablation_loss").isNull() ? null : r.rows(s, "group_ablation_loss", layers));
        List<SubBlockGreedy.Step> greedy = new ArrayList<>();
        java.util.Set<SubBlock> seen = new java.util.HashSet<>();
        JsonNode order = s.path("greedy");
        if (!order.isArray()) throw r.fail("sub_blocks.greedy must be an array");
        for (int i = 0; i < order.size(); i++) {
            JsonNode step = order.get(i), layer = step.path("layer");
            String where = "sub_blocks.greedy[" + i + "]";
            SubBlock.Kind kind;
            try {
                kind = SubBlock.Kind.of(step.path("kind").asText());
            } catch (IllegalArgumentException e) {
                throw r.fail(where + ".kind must be attention or mlp");
            }
            if (!layer.isIntegralNumber() || !layer.canConvertToInt() || layer.intValue() < 0 || layer.intValue() >= layers
                    || !seen.add(new SubBlock(kind, layer.intValue()))) {
                throw r.fail(where + ".layer must be a layer index 0-" + (layers - 1) + " whose " + kind.label() + " was not removed before");
            }
            greedy.add(new SubBlockGreedy.Step(new SubBlock(kind, layer.intValue()), r.number(step.get("loss"), where + ".loss")));
        }
        JsonNode greedyLayers = s.path("greedy_layers");
        if (!greedyLayers.canConvertToInt() || !greedyLayers.isIntegralNumber() || greedyLayers.intValue() < 0 || greedyLayers.intValue() == 0 != greedy.isEmpty()) {
            throw r.fail("sub_blocks.greedy_layers must be a count of layers, 0 exactly when sub_blocks.greedy is empty");
        }
        return new SubBlockAnalysis(new SubBlockSizes(sizes[0], sizes[1]), m, attention, mlp, heads, greedy, greedyLayers.intValue());
    }

    /** The greedy removal orders: absent or {} when none was run; each a list of distinct layers, fewer than all. */
    private static Map<GreedyRemoval.Metric, List<GreedyRemoval.Step>> greedy(Reader r, JsonNode o, int layers) {
        Map<GreedyRemoval.Metric, List<GreedyRemoval.Step>> greedy = new EnumMap<>(GreedyRemoval.Metric.class);
        if (o.path("greedy").isMissingNode()) return greedy;
        JsonNode all = r.object(o, "greedy");
        for (var e : all.properties()) {
            String where = "greedy." + e.getKey();
            GreedyRemoval.Metric metric;
            try {
                metric = GreedyRemoval.Metric.of(e.getKey());
            } catch (IllegalArgumentException x) {
                throw r.fail(where + ": unknown metric (bi, angular or loss expected)");
            }
            JsonNode order = e.getValue();
            if (!order.isArray() || order.isEmpty() || order.size() >= layers) throw r.fail(where + " must be an array of 1 to " + (layers - 1) + " steps");
            List<GreedyRemoval.Step> steps = new ArrayList<>();
            boolean[] seen = new boolean[layers];
            for (int i = 0; i < order.size(); i++) {
                JsonNode step = order.get(i);
                JsonNode layer = step.path("layer");
                if (!layer.isIntegralNumber() || !layer.canConvertToInt() || layer.intValue() < 0 || layer.intValue() >= layers || seen[layer.intValue()]) {
                    throw r.fail(where + "[" + i + "].layer must be a layer index 0-" + (layers - 1) + " not removed before");
                }
                seen[layer.intValue()] = true;
                double score = step.path("score").isNull() ? Double.NaN : r.number(step.get("score"), where + "[" + i + "].score");
                steps.add(new GreedyRemoval.Step(layer.intValue(), score));
            }
            greedy.put(metric, steps);
        }
        return greedy;
    }

    /** Field checks that name the file and the JSON path. */
    private record Reader(Path file) {
        ShallowException fail(String problem) {
            return ShallowException.at(file, problem);
        }

        JsonNode object(JsonNode o, String key) {
            JsonNode v = o.path(key);
            if (!v.isObject()) throw fail(key + " missing or not an object");
            return v;
        }

        int positiveInt(JsonNode o, String key) {
            JsonNode v = o.path(key);
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 1) throw fail(key + " must be a positive integer");
            return v.intValue();
        }

        double number(JsonNode v, String where) {
            if (v == null || !v.isNumber()) throw fail(where + ": expected a number, found " + (v == null ? "nothing" : v.getNodeType()));
            return v.doubleValue();
        }

        double[] vector(JsonNode o, String key, int n) {
            JsonNode a = array(o.path(key), key, n);
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = number(a.get(i), key + "[" + i + "]");
            return v;
        }

        /** Numbers, or null read as NaN. */
        double[][] matrix(JsonNode o, String key, int rows, int cols) {
            JsonNode a = array(o.path(key), key, rows);
            double[][] m = new double[rows][cols];
            for (int i = 0; i < rows; i++) {
                JsonNode row = array(a.get(i), key + "[" + i + "]", cols);
                for (int j = 0; j < cols; j++) m[i][j] = row.get(j).isNull() ? Double.NaN : number(row.get(j), key + "[" + i + "][" + j + "]");
            }
            return m;
        }

        /** {@code rows} arrays of numbers, all of the first one's length (at least one). */
        double[][] rows(JsonNode o, String key, int rows) {
            JsonNode a = array(o.path(key), key, rows);
            int cols = a.get(0).size();
            if (cols < 1) throw fail(key + "[0] must not be empty");
            return matrix(o, key, rows, cols);
        }

        private JsonNode array(JsonNode v, String where, int n) {
            if (!v.isArray() || v.size() != n) throw fail(where + " must be an array of " + n + " entries");
            return v;
        }
    }
}
