"""The SNS patch: topic attributes that were set are returned by GetTopicAttributes."""

from __future__ import annotations

from launchpad.aws import AwsTarget


def test_signature_version_set_at_creation_is_returned(sandbox_target: AwsTarget) -> None:
    sns = sandbox_target.client("sns")
    arn = sns.create_topic(Name="signed", Attributes={"SignatureVersion": "2"})["TopicArn"]
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["SignatureVersion"] == "2"


def test_attributes_set_later_are_returned(sandbox_target: AwsTarget) -> None:
    sns = sandbox_target.client("sns")
    arn = sns.create_topic(Name="traced")["TopicArn"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="TracingConfig", AttributeValue="Active")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="1")
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (attributes["TracingConfig"], attributes["SignatureVersion"]) == ("Active", "1")


def test_unset_attributes_stay_absent(sandbox_target: AwsTarget) -> None:
    sns = sandbox_target.client("sns")
    arn = sns.create_topic(Name="plain")["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert "SignatureVersion" not in attributes and "TracingConfig" not in attributes
    assert attributes["TopicArn"] == arn
