package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.eval.Task;
import dev.shallow.eval.TaskGroup;
import dev.shallow.eval.TaskOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Task and group names, as given to {@code shallow eval --tasks}, resolved to loaded tasks and the groups to report. */
public final class TaskRegistry {
    public static final String LOSS = "loss";

    /** The tasks to run, in order, and the groups over them (members before the groups that contain them). */
    public record Selection(List<Task> tasks, List<TaskGroup> groups) {
    }

    private TaskRegistry() {
    }

    /** Every name {@link #resolve} accepts. */
    public static List<String> names() {
        List<String> names = new ArrayList<>(TextTasks.names());
        names.add(LOSS);
        return names;
    }

    /** Loads every named task (duplicates once); {@code lossData} is the file of the {@code loss} task. */
    public static Selection resolve(List<String> names, TaskOptions options, Path lossData, String lossField) {
        if (names.isEmpty()) throw new ShallowException("no tasks given (choose from: " + String.join(", ", names()) + ")");
        for (String name : names) {
            if (!names().contains(name)) throw new ShallowException("unknown task \"" + name + "\" (choose from: " + String.join(", ", names()) + ")");
        }
        Map<String, Task> tasks = new LinkedHashMap<>();
        List<TaskGroup> groups = new ArrayList<>();
        for (String name : names) {
            if (tasks.containsKey(name)) continue;
            if (name.equals(LOSS)) {
                if (lossData == null) throw new ShallowException("the loss task needs --loss-data FILE (text or JSONL)");
                tasks.put(name, FileLossTask.of(lossData, lossField));
            } else {
                tasks.put(name, TextTasks.build(name, options));
            }
        }
        return new Selection(new ArrayList<>(tasks.values()), groups);
    }
}
