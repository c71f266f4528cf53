using FraudStream.Ingest.Kafka;
using FraudStream.Service.Tests.Infrastructure;
using FraudStream.Testing;
using Xunit.Abstractions;

namespace FraudStream.Service.Tests.State;

/// <summary>
/// Issue 11's measurements as tests, with real `fraudstream` processes on the embedded broker: a kill -9 and restart,
/// and three instances in one group with one killed and a fourth joining. Each run's decisions are compared with one
/// uninterrupted instance's over the same simulated stream (run to run, without any restart, they agree on ~99.7 %).
/// </summary>
[Collection(nameof(StateProcessTests))]
public sealed class RestartAndScaleOutTests(UninterruptedRun baseline, ITestOutputHelper output) : IClassFixture<UninterruptedRun>
{
    private const double RequiredAgreement = 0.99;

    [Fact]
    public async Task After_a_kill_9_and_restart_the_decisions_equal_an_uninterrupted_runs()
    {
        using var broker = EmbeddedBroker.Start();
        var database = "sqlite:" + TestServeSettings.NewSqliteFile();
        var store = SimulatedStream.Store(database);
        var first = FraudstreamProcess.Serve("serve-1", broker.BootstrapServers, database, SimulatedStream.ServeEnvironment);
        FraudstreamProcess? second = null;
        try
        {
            Assert.True(first.WaitForOutput("Decision service starting", TimeSpan.FromSeconds(90)), first.OutputText);
            using var produce = SimulatedStream.Produce(broker.BootstrapServers);
            await SimulatedStream.WaitUntilDecidedAsync(store, SimulatedStream.Count / 2, TimeSpan.FromMinutes(2), first);
            first.Kill();
            var decidedBeforeKill = (await store.GetDecisionsAsync(SimulatedStream.Count)).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);

            second = FraudstreamProcess.Serve("serve-2", broker.BootstrapServers, database, SimulatedStream.ServeEnvironment);
            await SimulatedStream.WaitUntilDecidedAsync(store, SimulatedStream.Count, TimeSpan.FromMinutes(3), second);
            Assert.Contains("Restored checkpoint", second.OutputText, StringComparison.Ordinal);

            var onTopic = SimulatedStream.DecisionsOnTopic(broker.BootstrapServers);
            var run = SimulatedStream.SingleDecisions(onTopic);
            Assert.Equal(SimulatedStream.Count, run.Count);
            // Produced before the kill but not yet stored: read back from the topic and stored, never decided again.
            var twice = onTopic.Values.Count(decisions => decisions.Count > 1);
            Assert.True(twice == 0, $"{twice} ids have two decisions on the topic\n{second.OutputText}");
            Assert.Equal(SimulatedStream.Count, await store.CountDecisionsAsync());
            ReportReadback(second);
            var afterRestart = run.Keys.Where(id => !decidedBeforeKill.Contains(id)).ToList();
            Assert.True(afterRestart.Count >= SimulatedStream.Count / 4, $"only {afterRestart.Count} decisions after the restart");
            var agreement = SimulatedStream.Agreement(baseline.Decisions, run, afterRestart);
            Assert.True(agreement >= RequiredAgreement,
                $"after the restart {agreement:P2} of {afterRestart.Count} decisions equal the uninterrupted run's\n{second.OutputText}");
            Assert.True(second.Terminate(TimeSpan.FromSeconds(60)), second.OutputText);
        }
        finally
        {
            first.Dispose();
            second?.Dispose();
        }
    }

    /// <summary>How many decisions were produced, not stored, before the kill (found on the topic by the new owner).</summary>
    private void ReportReadback(FraudstreamProcess instance)
    {
        foreach (var line in instance.Output.Where(l => l.Contains("on the topic but not in the store", StringComparison.Ordinal)))
        {
            output.WriteLine(instance.Name + ": " + line.Trim());
        }
    }

    private static bool DecidesSomePartitions(FraudstreamProcess instance)
    {
        var last = instance.Output.LastOrDefault(line => line.Contains("Deciding partitions", StringComparison.Ordinal));
        return last is not null && !last.Contains("Deciding partitions none", StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Three_instances_in_one_group_with_one_killed_and_a_fourth_joining_decide_every_transaction_once()
    {
        using var broker = EmbeddedBroker.Start();
        var database = "postgres:" + PostgresServer.Instance.CreateDatabase();
        var store = SimulatedStream.Store(database);
        var instances = new List<FraudstreamProcess>();
        try
        {
            // Started together on one fresh database: the migrations are serialised.
            for (var i = 1; i <= 3; i++)
            {
                instances.Add(FraudstreamProcess.Serve("serve-" + i, broker.BootstrapServers, database, SimulatedStream.ServeEnvironment));
            }

            foreach (var instance in instances)
            {
                Assert.True(instance.WaitForOutput("Decision service starting", TimeSpan.FromSeconds(120)), instance.Name + ":\n" + instance.OutputText);
            }

            // The group forms (each instance decides some partitions) before the stream starts; the fourth joins mid-stream.
            await RunningService.WaitForAsync(() => Task.FromResult(instances.TrueForAll(DecidesSomePartitions)), TimeSpan.FromSeconds(60),
                "each instance deciding some partitions");
            await Task.Delay(TimeSpan.FromSeconds(2));
            using var produce = SimulatedStream.Produce(broker.BootstrapServers);
            await SimulatedStream.WaitUntilDecidedAsync(store, SimulatedStream.Count / 3, TimeSpan.FromMinutes(2), [.. instances]);
            instances[1].Kill();
            var fourth = FraudstreamProcess.Serve("serve-4", broker.BootstrapServers, database, SimulatedStream.ServeEnvironment);
            instances.Add(fourth);
            var live = new[] { instances[0], instances[2], fourth };
            await SimulatedStream.WaitUntilDecidedAsync(store, SimulatedStream.Count, TimeSpan.FromMinutes(4), live);
            // On a loaded machine the others may finish the stream before the fourth is up: it still restores and joins.
            Assert.True(fourth.WaitForOutput("Decision service starting", TimeSpan.FromSeconds(120)), fourth.OutputText);
            Assert.True(fourth.OutputText.Contains("Restored checkpoint", StringComparison.Ordinal), fourth.OutputText);
            Assert.True(fourth.WaitForOutput("Deciding partitions", TimeSpan.FromSeconds(60)), fourth.OutputText);

            var (run, twice, differing) = SimulatedStream.FirstDecisions(SimulatedStream.DecisionsOnTopic(broker.BootstrapServers));
            Assert.Equal(SimulatedStream.Count, run.Count);
            Assert.Equal(SimulatedStream.Count, await store.CountDecisionsAsync());
            // What the killed instance produced but did not store is read back from the topic by the new owners.
            foreach (var instance in live)
            {
                ReportReadback(instance);
            }

            Assert.True(twice == 0 && differing == 0, $"{twice} ids have two decisions on the topic, {differing} of them different");
            // The world's first transactions (empty graph, every card new) are where even two single-instance runs
            // differ most (~98 %); in three instances the other partitions reach each graph ~0.1-0.5 s late (the
            // follower stops at the owners' commits), which the first ones feel most. Measured: 95 % over the first
            // 4,000, 99.6-99.8 % over each later 4,000, 98.9 % in all (docs/STATE.md).
            var ordered = (await store.GetDecisionsAsync(SimulatedStream.Count)).OrderBy(d => d.DecidedAt).Select(d => d.Id).ToList();
            var overall = SimulatedStream.Agreement(baseline.Decisions, run, run.Keys);
            var afterWarmUp = SimulatedStream.Agreement(baseline.Decisions, run, ordered.Skip(SimulatedStream.Count / 6));
            Assert.True(afterWarmUp >= RequiredAgreement && overall >= 0.97,
                $"{afterWarmUp:P2} of the decisions after the first {SimulatedStream.Count / 6} and {overall:P2} of all equal a single uninterrupted instance's");
            foreach (var instance in live)
            {
                Assert.Contains("Deciding partitions", instance.OutputText, StringComparison.Ordinal);
                Assert.True(instance.Terminate(TimeSpan.FromSeconds(60)), instance.Name + ":\n" + instance.OutputText);
            }
        }
        finally
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }
        }
    }
}

/// <summary>The process tests run one at a time: each runs several services on a 2-core machine.</summary>
[CollectionDefinition(nameof(StateProcessTests), DisableParallelization = true)]
public sealed class StateProcessTests;
