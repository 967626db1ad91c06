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
        List<String> names = new ArrayList<>(MultipleChoiceTasks.names());
        names.addAll(TextTasks.names());
        names.add(LOSS);
        return names;
    }

    /** The names for an error message: the 57 MMLU subject tasks as one pattern. */
    private static String choices() {
        String subject = MmluCategories.MMLU + "_";
        List<String> shown = new ArrayList<>(names().stream().filter(n -> !(n.startsWith(subject) && MmluCategories.bySubject().containsKey(n.substring(subject.length())))).toList());
        shown.add(subject + "<subject>");
        return String.join(", ", shown);
    }

    /** Loads every named task (duplicates once); {@code lossData} is the file of the {@code loss} task. */
    public static Selection resolve(List<String> names, TaskOptions options, Path lossData, String lossField) {
        if (names.isEmpty()) throw new ShallowException("no tasks given (choose from: " + choices() + ")");
        for (String name : names) {
            if (!names().contains(name)) throw new ShallowException("unknown task \"" + name + "\" (choose from: " + choices() + ")");
        }
        Map<String, Task> tasks = new LinkedHashMap<>();
        Map<String, TaskGroup> groups = new LinkedHashMap<>();
        for (String name : names) {
            if (tasks.containsKey(name) || groups.containsKey(name)) continue;
            if (name.equals(LOSS)) {
                if (lossData == null) throw new ShallowException("the loss task needs --loss-data FILE (text or JSONL)");
                tasks.put(name, FileLossTask.of(lossData, lossField));
            } else if (TextTasks.names().contains(name)) {
                tasks.put(name, TextTasks.build(name, options));
            } else {
                List<Task> built = MultipleChoiceTasks.build(name, options);
                for (Task t : built) tasks.putIfAbsent(t.name(), t);
                if (isMmluGroup(name)) mmluGroups(name, built).forEach(g -> groups.putIfAbsent(g.name(), g));
            }
        }
        return new Selection(new ArrayList<>(tasks.values()), new ArrayList<>(groups.values()));
    }

    private static boolean isMmluGroup(String name) {
        return name.equals(MmluCategories.MMLU) || MmluCategories.CATEGORIES.stream().map(MmluCategories::groupName).anyMatch(name::equals);
    }

    /** mmlu_stem etc. over their subject tasks, then (for "mmlu") mmlu over the categories present: the harness's group tree. */
    private static List<TaskGroup> mmluGroups(String name, List<Task> subjects) {
        Map<String, List<String>> byCategory = new LinkedHashMap<>();
        for (String category : MmluCategories.CATEGORIES) byCategory.put(MmluCategories.groupName(category), new ArrayList<>());
        for (Task t : subjects) byCategory.get(MmluCategories.group(t.name()).orElseThrow()).add(t.name());
        List<TaskGroup> groups = new ArrayList<>();
        byCategory.forEach((group, members) -> {
            if (!members.isEmpty()) groups.add(new TaskGroup(group, members));
        });
        if (name.equals(MmluCategories.MMLU)) groups.add(new TaskGroup(name, groups.stream().map(TaskGroup::name).toList()));
        return groups;
    }
}
