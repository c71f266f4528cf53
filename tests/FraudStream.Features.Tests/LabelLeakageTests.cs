using FraudStream.Core.Contracts;
using FraudStream.Features.Replay;
using FraudStream.Features.Schema;
using static FraudStream.Features.Tests.Scripted;

namespace FraudStream.Features.Tests;

public class LabelLeakageTests
{
    private static List<Transaction> Stream()
    {
        var list = new List<Transaction>();
        for (var i = 0; i < 40; i++)
        {
            list.Add(Tx(TimeSpan.FromHours(i), card: $"c{i % 5}", merchant: $"m{i % 3}", amount: 10 + i, id: $"t{i}"));
        }

        return list;
    }

    private static List<float[]> Replay(IEnumerable<Label> labels)
    {
        var replay = new FeatureReplay();
        foreach (var label in labels)
        {
            replay.Enqueue(label);
        }

        var rows = new List<float[]>();
        foreach (var tx in Stream())
        {
            var features = new float[FeatureSchema.Count];
            replay.Process(tx, features);
            rows.Add(features);
        }

        return rows;
    }

    [Fact]
    public void A_label_reported_after_a_transaction_never_affects_that_transaction_features()
    {
        // t3 is fraud, reported 20 h later: transactions up to hour 22 must be identical with or without it.
        var reportedAt = T0 + TimeSpan.FromHours(23) - TimeSpan.FromMinutes(1);
        var without = Replay([]);
        var with = Replay([new Label("t3", true, reportedAt)]);

        for (var i = 0; i <= 22; i++)
        {
            Assert.Equal(without[i], with[i]);
        }

        // ...and the label does reach later transactions at the same merchant (m0: 3 % 3).
        Assert.True(with[24][FeatureSchema.MerchantFraudRate] > without[24][FeatureSchema.MerchantFraudRate]);
    }

    [Fact]
    public void The_labelled_transaction_itself_never_sees_its_label_even_if_reported_at_once()
    {
        var replay = new FeatureReplay();
        var tx = Tx(S(0), merchant: "m", id: "x");
        replay.Enqueue(new Label("x", true, tx.Timestamp));
        var features = new float[FeatureSchema.Count];
        replay.Process(tx, features);

        Assert.Equal(0.01f, features[FeatureSchema.MerchantFraudRate], 6); // the prior alone
        Assert.Equal(1, replay.PendingLabels + (int)replay.Graph.LabelsUnmatched);
    }
}
