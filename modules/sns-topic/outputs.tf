output "arn" {
  description = "ARN of the topic."
  value       = aws_sns_topic.this.arn
}

output "name" {
  description = "Name of the topic."
  value       = aws_sns_topic.this.name
}

output "policy_json" {
  description = "The topic policy (JSON), for review."
  value       = data.aws_iam_policy_document.this.json
}

output "subscription_arns" {
  description = "ARNs of the subscriptions, by \"<protocol>:<endpoint>\" (\"pending confirmation\" until an e-mail subscription is confirmed)."
  value       = { for k, s in aws_sns_topic_subscription.this : k => s.arn }
}
