// Three collections at once (xunit's default: one per core): process tests mostly wait, so a third keeps two cores busy (docs/testing.md).
[assembly: CollectionBehavior(MaxParallelThreads = 3)]
