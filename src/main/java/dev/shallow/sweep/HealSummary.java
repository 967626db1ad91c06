package dev.shallow.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.heal.Healer;

import java.io.Serializable;

/**
 * How a healed point's model was healed: {@code steps} optimizer steps on {@code tokens} training tokens, and the
 * held-out loss of the healing text (its last documents, not trained on) before and after. {@code seconds}: pruning,
 * healing and merging, before the evaluation.
 */
public record HealSummary(long tokens, int steps, double seconds, int heldoutDocs, double lossBefore, double lossAfter) implements Serializable {

    static HealSummary of(Healer.Result r, double seconds) {
        return new HealSummary(r.steps() * r.tokensPerStep(), r.steps(), seconds, r.heldoutDocs(), r.before(), r.after());
    }

    ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("tokens", tokens);
        o.put("steps", steps);
        o.put("seconds", seconds);
        o.put("heldout_documents", heldoutDocs);
        o.put("heldout_loss_before", lossBefore);
        o.put("heldout_loss_after", lossAfter);
        return o;
    }

    /** Reads {@link #toJson}'s form; a missing field is an {@link IllegalArgumentException} naming it. */
    static HealSummary fromJson(JsonNode o) {
        for (String key : new String[]{"tokens", "steps", "seconds", "heldout_documents", "heldout_loss_before", "heldout_loss_after"}) {
            if (!o.path(key).isNumber()) throw new IllegalArgumentException("\"heal\" has no number \"" + key + "\"");
        }
        return new HealSummary(o.get("tokens").asLong(), o.get("steps").asInt(), o.get("seconds").asDouble(), o.get("heldout_documents").asInt(),
                o.get("heldout_loss_before").asDouble(), o.get("heldout_loss_after").asDouble());
    }
}
