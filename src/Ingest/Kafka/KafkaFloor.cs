using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using FraudStream.Core.Contracts;
using HdrHistogram;

namespace FraudStream.Ingest.Kafka;

/// <summary>What <c>fraudstream bench floor</c> measures with.</summary>
public sealed record KafkaFloorOptions
{
    /// <summary>A real cluster; null starts the embedded broker with <see cref="Brokers"/> and <see cref="Partitions"/>.</summary>
    public string? Bootstrap { get; init; }

    public int Brokers { get; init; } = 3;

    public int Partitions { get; init; } = 6;

    public double Rate { get; init; } = 5000;

    public int Transactions { get; init; } = 50_000;

    /// <summary>The first seconds of the stream are not recorded (connections, metadata, the first fetches).</summary>
    public double WarmupSeconds { get; init; } = 2;

    /// <summary>linger.ms of the relay's producer: the service's decisions producer default.</summary>
    public double ProducerLingerMs { get; init; } = KafkaClients.DefaultDecisionsLingerMs;

    /// <summary>linger.ms of the source: the simulator's publisher default.</summary>
    public double SourceLingerMs { get; init; } = TransactionPublisher.DefaultLingerMs;

    public int FetchWaitMaxMs { get; init; } = KafkaClients.DefaultFetchWaitMaxMs;
}

/// <summary>Latency percentiles of the bare Kafka path, in milliseconds.</summary>
public sealed record KafkaFloorResult(
    double RequestedRate,
    double AchievedRate,
    long Sent,
    long Recorded,
    double P50Ms,
    double P99Ms,
    double P999Ms,
    double MaxMs,
    double MeanMs,
    string Broker,
    int Partitions,
    double SourceLingerMs,
    double ProducerLingerMs,
    int FetchWaitMaxMs,
    double CpuMsPerThousand);

/// <summary>
/// The Kafka floor under the service: the same path a transaction takes — source producer → broker → consumer →
/// producer → broker acknowledgement — with the same client settings, partitions and rate, and nothing decided in
/// between. Latency is measured exactly as the service's end to end (from the source's creation header to the
/// acknowledgement of the relayed message), so e2e − floor is the service's own cost.
/// </summary>
public static class KafkaFloor
{
    private const string InTopic = "floor.transactions";
    private const string OutTopic = "floor.decisions";

    public static KafkaFloorResult Run(KafkaFloorOptions options, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        using var embedded = options.Bootstrap is null ? EmbeddedBroker.Start(options.Brokers, options.Partitions, [InTopic, OutTopic]) : null;
        var bootstrap = embedded?.BootstrapServers ?? options.Bootstrap!;
        var suffix = embedded is null ? "-" + Guid.NewGuid().ToString("N")[..8] : "";
        var inTopic = InTopic + suffix;
        var outTopic = OutTopic + suffix;
        if (embedded is null)
        {
            CreateTopics(bootstrap, options.Partitions, inTopic, outTopic);
        }

        var warmupMessages = (long)(options.Rate * options.WarmupSeconds);
        using var relay = new Relay(bootstrap, inTopic, outTopic, options, warmupMessages);
        relay.Start();
        var started = Stopwatch.GetTimestamp();
        // The process's CPU (source, broker and relay together): what a lower linger or fetch wait costs.
        var cpuBefore = Environment.CpuUsage.TotalTime;
        long sent;
        using (var source = new TransactionPublisher(bootstrap, options.Rate, inTopic, clientId: "fraudstream-floor-source", lingerMs: options.SourceLingerMs))
        {
            var tx = new Transaction();
            for (var i = 0; i < options.Transactions; i++)
            {
                Fill(tx, i);
                source.Publish(tx);
                if (i > 0 && i % (int)Math.Max(1, options.Rate) == 0)
                {
                    progress.WriteLine($"floor: {i:N0} sent, {relay.Relayed:N0} relayed");
                }
            }

            source.Flush(TimeSpan.FromSeconds(60));
            sent = source.Sent;
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (relay.Acknowledged < sent && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpuMs = (Environment.CpuUsage.TotalTime - cpuBefore).TotalMilliseconds;
        relay.Stop();
        var h = relay.Histogram;
        double Ms(long micros) => micros / 1000.0;
        return new KafkaFloorResult(
            options.Rate,
            relay.Acknowledged / seconds,
            sent,
            h.TotalCount,
            Ms(h.GetValueAtPercentile(50)),
            Ms(h.GetValueAtPercentile(99)),
            Ms(h.GetValueAtPercentile(99.9)),
            Ms(h.GetMaxValue()),
            h.TotalCount == 0 ? 0 : h.GetMean() / 1000.0,
            embedded is null ? bootstrap : $"embedded ({options.Brokers} brokers)",
            options.Partitions,
            options.SourceLingerMs,
            options.ProducerLingerMs,
            options.FetchWaitMaxMs,
            sent == 0 ? 0 : cpuMs * 1000 / sent);
    }

    public static void WriteJson(KafkaFloorResult result, string path)
    {
        ArgumentNullException.ThrowIfNull(result);
        File.WriteAllText(path, JsonSerializer.Serialize(result, FloorJsonContext.Default.KafkaFloorResult));
    }

    private static void Fill(Transaction tx, int i)
    {
        // Shaped like the simulator's transactions (size and keys): 5,000 cards, a few hundred merchants.
        tx.Id = "floor-" + i.ToString("D9", System.Globalization.CultureInfo.InvariantCulture);
        tx.Timestamp = DateTime.UtcNow;
        tx.Card = "card-" + (i % 5000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        tx.Merchant = "merchant-" + (i % 400).ToString(System.Globalization.CultureInfo.InvariantCulture);
        tx.Category = "grocery";
        tx.Amount = 10m + (i % 900);
        tx.Currency = "EUR";
        tx.Country = "DE";
        tx.Latitude = 52.52;
        tx.Longitude = 13.40;
        tx.Device = "device-" + (i % 5000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        tx.Channel = PaymentChannel.Pos;
    }

    private static void CreateTopics(string bootstrap, int partitions, params string[] topics)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var specs = new List<TopicSpecification>();
        foreach (var t in topics)
        {
            specs.Add(new TopicSpecification { Name = t, NumPartitions = partitions, ReplicationFactor = -1 });
        }

        admin.CreateTopicsAsync(specs).GetAwaiter().GetResult();
    }

    /// <summary>Consumes the source topic on its own thread and produces each message on at once, like the service.</summary>
    private sealed class Relay : IDisposable
    {
        private static readonly byte[] DecisionShaped = Encoding.UTF8.GetBytes(
            "{\"id\":\"floor-000000000\",\"decision\":\"approve\",\"score\":0.012345,\"reasons\":[],\"model_version\":\"floor\",\"ruleset_version\":\"floor\",\"decided_at\":\"2026-12-01T00:00:00.000000Z\",\"latency_us\":1000}");

        private readonly IConsumer<byte[], byte[]> _consumer;
        private readonly IProducer<byte[], byte[]> _producer;
        private readonly string _outTopic;
        private readonly long _warmupMessages;
        private readonly Thread _thread;
        private readonly Action<DeliveryReport<byte[], byte[]>>[] _handlers;
        private readonly long[] _createdBySlot;
        private readonly Message<byte[], byte[]>[] _messages;
        private volatile bool _stopping;
        private long _relayed;
        private long _acknowledged;

        public Relay(string bootstrap, string inTopic, string outTopic, KafkaFloorOptions options, long warmupMessages)
        {
            var consumerConfig = KafkaClients.ConsumerConfig(bootstrap, "fraudstream-floor-" + Guid.NewGuid().ToString("N")[..8], "fraudstream-floor-consumer", options.FetchWaitMaxMs);
            consumerConfig.ConsumeResultFields = "headers,timestamp";
            consumerConfig.EnableAutoOffsetStore = true;
            _consumer = new ConsumerBuilder<byte[], byte[]>(consumerConfig).Build();
            _consumer.Subscribe(inTopic);
            var producerConfig = KafkaClients.ProducerConfig(bootstrap, "fraudstream-floor-producer", options.ProducerLingerMs);
            producerConfig.DeliveryReportFields = "none";
            _producer = new ProducerBuilder<byte[], byte[]>(producerConfig).Build();
            _outTopic = outTopic;
            _warmupMessages = warmupMessages;
            // Pre-bound slots, as the service's in-flight slots: no closure per message.
            const int slots = 1 << 18;
            _handlers = new Action<DeliveryReport<byte[], byte[]>>[slots];
            _createdBySlot = new long[slots];
            _messages = new Message<byte[], byte[]>[slots];
            for (var i = 0; i < slots; i++)
            {
                var slot = i;
                _handlers[i] = report => OnDelivered(slot, report);
                _messages[i] = new Message<byte[], byte[]>();
            }

            _thread = new Thread(Run) { IsBackground = true, Name = "fs-floor-relay" };
        }

        /// <summary>Written only on the delivery thread.</summary>
        public LongHistogram Histogram { get; } = new(1, 60_000_000, 3);

        public long Relayed => Volatile.Read(ref _relayed);

        public long Acknowledged => Volatile.Read(ref _acknowledged);

        public void Start() => _thread.Start();

        public void Stop()
        {
            _stopping = true;
            _thread.Join();
        }

        private void Run()
        {
            while (!_stopping)
            {
                var result = _consumer.Consume(20);
                if (result?.Message is null)
                {
                    continue;
                }

                var n = _relayed;
                var slot = (int)(n & (_handlers.Length - 1));
                _createdBySlot[slot] = n < _warmupMessages ? 0 : CreatedMicros(result.Message);
                var message = _messages[slot];
                message.Key = result.Message.Key;
                message.Value = DecisionShaped;
                Produce(message, _handlers[slot]);
                Volatile.Write(ref _relayed, n + 1);
            }
        }

        private void Produce(Message<byte[], byte[]> message, Action<DeliveryReport<byte[], byte[]>> handler)
        {
            while (true)
            {
                try
                {
                    _producer.Produce(_outTopic, message, handler);
                    return;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    Thread.Sleep(1);
                }
            }
        }

        private void OnDelivered(int slot, DeliveryReport<byte[], byte[]> report)
        {
            var created = _createdBySlot[slot];
            if (!report.Error.IsError && created > 0)
            {
                var micros = ((DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10) - created;
                Histogram.RecordValue(Math.Clamp(micros, 1, 60_000_000));
            }

            Volatile.Write(ref _acknowledged, _acknowledged + 1);
        }

        private static long CreatedMicros(Message<byte[], byte[]> message) =>
            message.Headers is { Count: > 0 } headers && headers.TryGetLastBytes(TransactionPublisher.CreatedHeader, out var bytes) && bytes.Length == 8
                ? BinaryPrimitives.ReadInt64LittleEndian(bytes)
                : message.Timestamp.UnixTimestampMs * 1000;

        public void Dispose()
        {
            _producer.Flush(TimeSpan.FromSeconds(10));
            _consumer.Close();
            _consumer.Dispose();
            _producer.Dispose();
        }
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(KafkaFloorResult))]
internal sealed partial class FloorJsonContext : JsonSerializerContext;
