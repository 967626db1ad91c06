package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.heal.HealOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Healing's default learning rate: one definition behind heal, sweep --heal and the README, and what it was chosen to do. */
class HealDefaultsTest {
    static final Path SAMPLES = Shared.root().resolve("data/stories260K-samples");

    @Test
    void healSweepAndReadmeShowTheOneDefault() throws IOException {
        CommandLine heal = new CommandLine(new HealCommand()), sweep = new CommandLine(new SweepCommand());
        assertEquals(HealOptions.DEFAULT_LR, Double.parseDouble(heal.getCommandSpec().findOption("--lr").defaultValue()));
        assertEquals(HealOptions.DEFAULT_LR, Double.parseDouble(sweep.getCommandSpec().findOption("--heal-lr").defaultValue()));
        String readme = Files.readString(Path.of("README.md"));
        Matcher row = Pattern.compile("\\| `heal MODEL [^|]*\\[--lr ([0-9.e-]+)]").matcher(readme);
        assertTrue(row.find(), "README's commands table lists heal's --lr default");
        assertEquals(HealOptions.DEFAULT_LR, Double.parseDouble(row.group(1)));
        assertTrue(readme.contains("default learning rate is " + row.group(1)), "README's Healing section states the default");
    }

    /**
     * Issue 18's acceptance: stories260K without layer 2, healed on 60k tokens of the samples' train.jsonl with every other
     * option at its default, recovers at least 40% of the held-out loss the removal added (README's study: 11% at the old
     * 2e-4). The original's held-out loss is heal's own measurement, before training, on the unpruned model.
     */
    @Test
    void defaultsRecoverTwoFifthsOfTheGapOnStories260KWithoutLayer2(@TempDir Path tmp) throws IOException {
        Path model = Shared.model("stories260K"), pruned = tmp.resolve("pruned");
        CliTest.Run prune = CliTest.run("prune", model.toString(), "--remove", "2", "--out", pruned.toString());
        assertEquals(0, prune.code(), prune.err());
        double original = heldout(tmp.resolve("original"), model, "2048").path("loss_before").asDouble();
        JsonNode healed = heldout(tmp.resolve("healed"), pruned, "60000");
        double before = healed.path("loss_before").asDouble(), after = healed.path("loss_after").asDouble();
        double recovered = (before - after) / (before - original); // the gap recovered, (pruned - healed) / (pruned - original)
        assertTrue(recovered >= 0.40, "recovered " + recovered + " of the gap: original " + original + ", pruned " + before + ", healed " + after);
    }

    /** heal.json's held-out losses of {@code shallow heal MODEL} on {@code tokens} with the default options. */
    private static JsonNode heldout(Path out, Path model, String tokens) throws IOException {
        CliTest.Run r = CliTest.run("heal", model.toString(), "--data", SAMPLES.resolve("train.jsonl").toString(),
                "--heldout", SAMPLES.resolve("heldout.jsonl").toString(), "--tokens", tokens, "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        return new ObjectMapper().readTree(out.resolve("heal.json").toFile()).path("heldout");
    }
}
