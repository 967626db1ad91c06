package dev.shallow.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.data.CalibrationOptions;
import dev.shallow.data.CalibrationSet;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnalysisFileTest {
    static Analysis analysis;

    @BeforeAll
    static void analyse() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            CalibrationSet cal = CalibrationSet.load(new CalibrationOptions("stories", "text", 8, 64, true, true, true, 0),
                    Tokenizer.load(model.dir()), model.config().maxPositionEmbeddings(), Shared.root().resolve("data"));
            analysis = Analyser.run(model, cal, new AnalysisOptions(AngularTokens.LAST, true, 4, 128, 0, List.of(GreedyRemoval.Metric.BI), 2), Progress.NONE);
        }
    }

    @Test
    void roundTrip(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("analysis.json");
        analysis.write(file);
        Analysis back = Analysis.read(file);
        assertEquals(analysis.model(), back.model());
        assertEquals(analysis.options().toString(), back.options().toString());
        assertEquals(analysis.numLayers(), back.numLayers());
        assertEquals(analysis.angularTokens(), back.angularTokens());
        LayerMajorAnalysisTest.assertSameAnalysis(analysis, back);
        assertEquals(2, back.greedy().get(GreedyRemoval.Metric.BI).size());
        assertEquals("cca406797fe24c0d".length(), back.calibrationHash().length());
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertTrue(json.path("conventions").path("angular_distance").asText().contains("angular_distance[l][n-1] = d(x_l, x_{l+n})"));
        assertTrue(json.path("angular_distance").get(4).get(1).isNull(), "d(x_4, x_6) does not exist: null, not NaN");
        assertEquals(5, json.path("best_block").size());
        assertEquals(analysis.bestBlockStart(2), json.path("best_block").get(1).path("start").asInt());
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporary file left beside it");
        }
    }

    @Test
    void aFileWithoutGreedyOrdersHasNone(@TempDir Path tmp) throws IOException {
        ObjectNode json = AnalysisJson.toJson(analysis);
        json.remove("greedy");
        Path file = Files.writeString(tmp.resolve("analysis.json"), json.toString());
        assertTrue(Analysis.read(file).greedy().isEmpty());
    }

    @Test
    void bestBlockIsTheArgminOfEachColumn() {
        for (int n = 1; n <= analysis.numLayers(); n++) {
            int best = analysis.bestBlockStart(n);
            for (int l = 0; l + n <= analysis.numLayers(); l++) {
                assertTrue(analysis.angularDistance()[best][n - 1] <= analysis.angularDistance()[l][n - 1]);
            }
        }
    }

    @Test
    void anAnalysisOfAnotherModelIsRefused(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("analysis.json");
        analysis.write(file);
        try (Model other = Model.load(Shared.model("stories-16L"))) {
            ModelIdentity otherId = ModelIdentity.of(other);
            ShallowException e = assertThrows(ShallowException.class, () -> analysis.checkMatches(otherId));
            assertTrue(e.getMessage().contains("stories-16L") && e.getMessage().contains("stories260K"), e.getMessage());
            e = assertThrows(ShallowException.class, () -> Analysis.readFor(file, otherId));
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        }
        // the same weights in another directory are the same model
        Path copy = Shared.copyModel(Shared.model("stories260K"), tmp.resolve("copy"));
        try (Model same = Model.load(copy)) {
            analysis.checkMatches(ModelIdentity.of(same));
            assertEquals(analysis.model().fingerprint(), Analysis.readFor(file, ModelIdentity.of(same)).model().fingerprint());
        }
        // an edited config is a different model
        Files.writeString(copy.resolve("config.json"), Files.readString(copy.resolve("config.json")).replace("1e-05", "1e-06"));
        assertTrue(!ModelIdentity.fingerprint(copy).equals(analysis.model().fingerprint()));
    }

    /** Writes the analysis with one edit and expects a one-line error naming the file and the field. */
    static void assertRefused(Path tmp, Consumer<ObjectNode> edit, String field) throws IOException {
        Path file = tmp.resolve("edited.json");
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(AnalysisJson.toJson(analysis).toString());
        edit.accept(json);
        Files.writeString(file, json.toString());
        ShallowException e = assertThrows(ShallowException.class, () -> Analysis.read(file));
        assertEquals(1, e.getMessage().lines().count());
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(field), e.getMessage());
    }

    @Test
    void malformedFilesAreRefused(@TempDir Path tmp) throws IOException {
        assertRefused(tmp, j -> ((ArrayNode) j.get("angular_distance").get(0)).setNull(0), "angular_distance[0][0]");
        assertRefused(tmp, j -> ((ArrayNode) j.get("angular_distance").get(4)).set(1, 0.5), "angular_distance[4][1] must be null");
        assertRefused(tmp, j -> ((ArrayNode) j.get("block_influence")).remove(0), "block_influence");
        assertRefused(tmp, j -> j.put("num_layers", 6), "num_layers");
        assertRefused(tmp, j -> j.put("format", "other"), "not a Shallow analysis");
        assertRefused(tmp, j -> ((ArrayNode) j.get("ablation_loss")).set(0, "x"), "ablation_loss[0]");
        assertRefused(tmp, j -> ((ObjectNode) j.get("greedy")).set("cosine", j.get("greedy").get("bi")), "greedy.cosine: unknown metric");
        assertRefused(tmp, j -> ((ObjectNode) j.get("greedy").get("bi").get(1)).set("layer", j.get("greedy").get("bi").get(0).get("layer")),
                "greedy.bi[1].layer");
        assertRefused(tmp, j -> ((ObjectNode) j.get("greedy").get("bi").get(0)).put("layer", 5), "greedy.bi[0].layer");
        assertRefused(tmp, j -> ((ObjectNode) j.get("greedy").get("bi").get(0)).put("score", "high"), "greedy.bi[0].score");
        Path notJson = Files.writeString(tmp.resolve("bad.json"), "{\"format\": ");
        ShallowException e = assertThrows(ShallowException.class, () -> Analysis.read(notJson));
        assertTrue(e.getMessage().startsWith(notJson.toString()), e.getMessage());
    }
}
