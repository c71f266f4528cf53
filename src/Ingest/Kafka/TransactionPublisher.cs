using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using FraudStream.Core.Contracts;

namespace FraudStream.Ingest.Kafka;

/// <summary>
/// Publishes transactions (keyed by card, stamped with their creation time in microseconds) and labels,
/// at a steady rate when one is given. Used by simulate, replay and the demo.
/// </summary>
public sealed class TransactionPublisher : IDisposable
{
    /// <summary>Header with the creation time in Unix microseconds (Kafka's own timestamp has only milliseconds).</summary>
    public const string CreatedHeader = "fs-created-us";

    /// <summary>linger.ms of the publisher unless told otherwise.</summary>
    public const double DefaultLingerMs = 5;

    private readonly IProducer<byte[], byte[]> _producer;
    private readonly string _transactionsTopic;
    private readonly string _labelsTopic;
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer;
    private readonly double _ratePerSecond;
    private long _startedAt = Stopwatch.GetTimestamp();
    private long _paced;
    private long _sent;
    private long _failed;

    public TransactionPublisher(string bootstrap, double ratePerSecond = 0, string transactionsTopic = Topics.Transactions,
        string labelsTopic = Topics.Labels, string clientId = "fraudstream-publisher", double lingerMs = DefaultLingerMs)
    {
        var config = KafkaClients.ProducerConfig(bootstrap, clientId, lingerMs);
        // Only the error of a delivery is looked at: don't copy key, value and headers back for each one.
        config.DeliveryReportFields = "none";
        _producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        _transactionsTopic = transactionsTopic;
        _labelsTopic = labelsTopic;
        _ratePerSecond = ratePerSecond;
        _writer = new Utf8JsonWriter(_buffer);
    }

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Deliveries the broker refused after all retries (reported, never silent).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    public void Publish(Transaction tx)
    {
        ArgumentNullException.ThrowIfNull(tx);
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        TransactionJson.Write(_writer, tx);
        _writer.Flush();
        PublishRaw(Encoding.UTF8.GetBytes(tx.Card), _buffer.WrittenSpan.ToArray());
    }

    /// <summary>Publishes raw bytes as a transaction (also how tests and tools send malformed input).</summary>
    public void PublishRaw(byte[]? key, byte[] value)
    {
        Pace();
        var created = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(created, (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10);
        var message = new Message<byte[], byte[]> { Key = key!, Value = value, Headers = new Headers { { CreatedHeader, created } } };
        Produce(_transactionsTopic, message);
        _sent++;
        _paced++;
    }

    public void Publish(Label label)
    {
        ArgumentNullException.ThrowIfNull(label);
        Produce(_labelsTopic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(label.Id), Value = LabelJson.Serialize(label) });
    }

    /// <summary>
    /// Starts the rate clock afresh: the next message is due now, the n-th after it n / rate later. Call it when the
    /// source is ready to send (e.g. a simulator has built its world): a clock started earlier would be caught up
    /// with a burst.
    /// </summary>
    public void RestartPacing()
    {
        _startedAt = Stopwatch.GetTimestamp();
        _paced = 0;
    }

    /// <summary>Waits until everything published is acknowledged; returns false on timeout.</summary>
    public bool Flush(TimeSpan timeout) => _producer.Flush(timeout) == 0;

    private void Produce(string topic, Message<byte[], byte[]> message)
    {
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, report =>
                {
                    if (report.Error.IsError)
                    {
                        Interlocked.Increment(ref _failed);
                    }
                });
                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                _producer.Poll(TimeSpan.FromMilliseconds(5));
            }
        }
    }

    private void Pace()
    {
        if (_ratePerSecond <= 0)
        {
            return;
        }

        // Send the n-th message no earlier than n / rate after start. Sleeping (not spinning) until due
        // sends in small bursts each millisecond: the rate holds, and the publisher leaves the CPU to the service.
        var due = _startedAt + (long)(_paced / _ratePerSecond * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < due)
        {
            Thread.Sleep(1);
        }
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(30));
        _producer.Dispose();
        _writer.Dispose();
    }
}
