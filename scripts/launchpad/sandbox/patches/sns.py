"""SNS: topic attributes that CreateTopic and SetTopicAttributes accept are returned by GetTopicAttributes.

AWS: ``GetTopicAttributes`` returns, among others, ``SignatureVersion`` (1 = SHA1, 2 = SHA256 message
signatures), ``TracingConfig`` (PassThrough / Active) and, for FIFO topics, ``ArchivePolicy`` once they are
set
(https://docs.aws.amazon.com/sns/latest/api/API_GetTopicAttributes.html,
https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html).
Stock moto stores them on the topic but answers with a fixed list that leaves them out, so the AWS provider
reads ``signature_version = 0`` and every re-plan of an ``aws_sns_topic`` with ``signature_version = 2`` wants
to change it.
"""

from __future__ import annotations

from typing import Any

from moto.sns.responses import SNSResponse

_MARK = "_launchpad_sns_patch"
# API attribute name -> the attribute moto keeps it in on the topic (camelcase_to_underscores of the name).
RETURNED_WHEN_SET = {
    "SignatureVersion": "signature_version",
    "TracingConfig": "tracing_config",
    "ArchivePolicy": "archive_policy",
}


def apply() -> None:
    if getattr(SNSResponse, _MARK, False):
        return
    original = SNSResponse.get_topic_attributes

    def get_topic_attributes(self: SNSResponse) -> Any:
        result = original(self)
        topic = self.backend.get_topic(self._get_param("TopicArn"))
        attributes = result.result["Attributes"]  # type: ignore[index]
        for name, attribute in RETURNED_WHEN_SET.items():
            value = getattr(topic, attribute, None)
            if value not in (None, ""):
                attributes[name] = str(value)
        return result

    SNSResponse.get_topic_attributes = get_topic_attributes  # type: ignore[method-assign]
    setattr(SNSResponse, _MARK, True)
