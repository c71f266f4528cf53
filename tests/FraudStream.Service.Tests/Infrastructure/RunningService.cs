using Confluent.Kafka;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Kafka;
using FraudStream.Pipeline.Hosting;
using FraudStream.Service.Hosting;
using FraudStream.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FraudStream.Service.Tests.Infrastructure;

/// <summary>The real service host (as `fraudstream serve` builds it) against an embedded broker.</summary>
internal sealed class RunningService : IAsyncDisposable
{
    private readonly IHost _host;

    private RunningService(IHost host)
    {
        _host = host;
        Service = host.Services.GetRequiredService<DecisionService>();
        Store = host.Services.GetRequiredService<FraudStore>();
    }

    public DecisionService Service { get; }

    public FraudStore Store { get; }

    /// <summary>The host's services, for a stage a test drives directly (e.g. a watched folder checked now).</summary>
    public IServiceProvider Services => _host.Services;

    /// <param name="logs">Also receives every line from Information up (the console keeps Warning and up).</param>
    public static async Task<RunningService> StartAsync(ServeSettings settings, CapturedLogs? logs = null)
    {
        var host = FraudStreamHost.Build(settings, logging =>
        {
            logging.SetMinimumLevel(LogLevel.Warning);
            if (logs is not null)
            {
                logging.AddProvider(logs);
                logging.AddFilter<CapturedLogs>(null, LogLevel.Information);
            }
        });
        await host.StartAsync();
        var running = new RunningService(host);
        await running.Service.Ready.WaitAsync(TimeSpan.FromSeconds(30));
        return running;
    }

    public async Task StopAsync() => await _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    public static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}");
    }

    /// <summary>Reads a whole topic from the beginning until it has been quiet for a moment.</summary>
    public static List<ConsumeResult<byte[], byte[]>> ReadTopic(string bootstrap, string topic, int expectedAtLeast, TimeSpan timeout)
    {
        var config = KafkaClients.ConsumerConfig(bootstrap, "reader-" + Guid.NewGuid().ToString("N")[..8], "test-reader");
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        consumer.Subscribe(topic);
        var results = new List<ConsumeResult<byte[], byte[]>>();
        var deadline = DateTime.UtcNow + timeout;
        var quietSince = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(100);
            if (r?.Message is not null)
            {
                results.Add(r);
                quietSince = DateTime.UtcNow;
                continue;
            }

            if (results.Count >= expectedAtLeast && DateTime.UtcNow - quietSince > TimeSpan.FromSeconds(1.5))
            {
                break;
            }
        }

        consumer.Close();
        return results;
    }

    public static List<DecisionMessage> Decisions(IEnumerable<ConsumeResult<byte[], byte[]>> results) =>
        results.Select(r => DecisionMessage.Parse(r.Message.Value)).ToList();
}
