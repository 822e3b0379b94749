output "topic_arn" {
  description = "ARN of the topic."
  value       = module.topic.arn
}

output "topic_policy" {
  description = "The topic policy (JSON)."
  value       = module.topic.policy_json
}

output "kms_key_arn" {
  description = "ARN of the key that encrypts the topic."
  value       = module.kms.key_arn
}
