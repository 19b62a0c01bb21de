"use strict";
/**
 * Prompt Injection Detection & Deterrence
 *
 * Comprehensive detection based on OWASP LLM-01.
 * Includes detection, sanitization, and deterrence utilities.
 *
 * @module csm6/security/prompt-injection
 * @author Haiec
 * @license MIT
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.checkPromptInjection = checkPromptInjection;
exports.sanitizePromptInjection = sanitizePromptInjection;
exports.getInjectionRiskScore = getInjectionRiskScore;
exports.isInputSafe = isInputSafe;
const text_1 = require("../../utils/text");
const LIMITATIONS = [
    'Pattern-based detection (novel attacks may evade)',
    'English language only',
    'Context-dependent false positives possible',
    'Obfuscated attacks may not be detected',
    'Base64/encoding attacks have limited detection',
    'Educational content about attacks may be flagged'
];
const METHODOLOGY = 'OWASP LLM-01 aligned pattern matching. ' +
    'Detects known prompt injection techniques using regex patterns ' +
    'validated against public attack datasets (HackAPrompt, Gandalf, etc). ' +
    'Accuracy: ~70-85% on known attacks, lower on novel variations.';
/**
 * Comprehensive prompt injection patterns
 * Categories based on OWASP LLM Top 10 and real-world attack datasets
 */
const PATTERNS = {
    // OWASP LLM01: System Override Attempts
    systemOverride: {
        patterns: [
            /\b(ignore|bypass|forget|disregard)\s+(all\s+)?(your\s+)?(previous|prior|above|earlier)\s+(instructions?|rules?|prompts?|directives?)/gi,
            /\byou\s+are\s+now\s+(the\s+)?(system|admin|developer|root|god\s*mode)\b/gi,
            /\bas\s+(system|admin|developer|root),?\s+you\s+(must|should|will|shall)\b/gi,
            /\b(new|updated?|revised)\s+(instructions?|rules?|system\s+prompt|directives?)\s*:?\s*\n/gi,
            /\b(start|begin)\s+(with|by)\s+(ignoring|forgetting|disregarding)\b/gi,
            /\bfrom\s+now\s+on,?\s+(you\s+)?(will|must|should|are)/gi,
            /\breset\s+(your|all)\s+(instructions?|rules?|context)/gi,
            /\b(ignore|bypass|forget|disregard)\s+(all\s+)?(your\s+)?(rules?|guidelines?|policies|directives?|constraints?)\b/gi
        ],
        severity: 'high',
        confidence: 0.8,
        description: 'Attempts to override system instructions'
    },
    // Policy/Safety Bypass
    policyBypass: {
        patterns: [
            /\b(ignore|bypass|override|disable|turn\s+off)\s+(all\s+)?(safety|content|policy|policies|filters?|guidelines?|restrictions?)/gi,
            /\b(pretend|act\s+as\s+if|simulate|imagine)\s+you\s+(have\s+no|don'?t\s+have|lack|are\s+without)\s+(restrictions?|limitations?|rules?|policies)\b/gi,
            /\bi\s+give\s+you\s+permission\s+to\s+(ignore|bypass|break)\b/gi,
            /\b(enable|activate|enter)\s+(developer|debug|god|admin)\s+mode/gi,
            /\bunlock\s+(your\s+)?(full|hidden|secret)\s+(potential|capabilities|features)/gi,
            /\bno\s+(ethical|moral|safety)\s+(guidelines?|restrictions?|limitations?)/gi
        ],
        severity: 'high',
        confidence: 0.75,
        description: 'Attempts to bypass safety policies'
    },
    // Context/System Prompt Exfiltration
    contextExfiltration: {
        patterns: [
            /\b(print|show|display|reveal|output|dump|list)\s+(your\s+)?(system\s+prompt|original\s+instructions?|initial\s+prompt|hidden\s+(config|instructions?))\b/gi,
            /\bwhat\s+(is|are|were|was)\s+your\s+(original|initial|first|secret)\s+(instructions?|prompt|rules?|directives?)\b/gi,
            /\b(repeat|show|print)\s+(everything|all)\s+(above|before|prior|previous)\b/gi,
            /\b(show|display|list)\s+(all\s+)?(previous|prior|earlier)\s+messages?\b/gi,
            /\brepeat\s+(the\s+)?(text|words|content)\s+(above|before)/gi,
            /\bwhat\s+did\s+(the\s+)?(user|developer|admin)\s+tell\s+you/gi,
            /\b(output|print|echo)\s+(your\s+)?(config|configuration|settings|parameters)/gi,
            /\b(output|reveal|show|give\s+me)\s+(the\s+)?(system\s+prompt|system\s+instructions?|hidden\s+prompt)/gi
        ],
        severity: 'medium',
        confidence: 0.7,
        description: 'Attempts to extract system prompt or context'
    },
    // Jailbreak Attempts (DAN, etc.)
    jailbreak: {
        patterns: [
            /\b(DAN|do\s+anything\s+now)\b/gi,
            /\bjailbreak(ed|ing)?\b/gi,
            /\b(STAN|DUDE|AIM|KEVIN)\s+(mode|persona)/gi,
            /\bact\s+as\s+(an?\s+)?(unrestricted|unfiltered|uncensored)\b/gi,
            /\bpretend\s+(to\s+be|you\s+are)\s+(an?\s+)?(evil|malicious|unethical)/gi,
            /\byou\s+are\s+(now\s+)?(free|liberated)\s+from\s+(all\s+)?(restrictions?|rules?)/gi,
            /\bopposite\s+(mode|day|personality)/gi,
            /\balter\s+ego/gi
        ],
        severity: 'high',
        confidence: 0.85,
        description: 'Known jailbreak techniques (DAN, etc.)'
    },
    // Roleplay Manipulation
    roleplayManipulation: {
        patterns: [
            /\bpretend\s+(you\s+are|to\s+be)\s+(an?\s+)?(hacker|criminal|villain|terrorist)/gi,
            /\broleplay\s+as\s+(an?\s+)?(malicious|evil|unethical)/gi,
            /\bact\s+as\s+if\s+you\s+(have\s+no|don'?t\s+have)\s+(morals?|ethics?)/gi,
            /\bimagine\s+you\s+(are|were)\s+(programmed|designed)\s+to\s+(harm|hurt|attack)/gi,
            /\bfor\s+(a\s+)?(fictional|hypothetical)\s+(story|scenario),?\s+(ignore|bypass)/gi
        ],
        severity: 'medium',
        confidence: 0.7,
        description: 'Roleplay-based manipulation attempts'
    },
    // Tool/Function Abuse
    toolAbuse: {
        patterns: [
            /\b(execute|run|call|invoke)\s+.*\b(delete|drop|truncate|remove|destroy|rm\s+-rf)\b/gi,
            /\b(send|email|post|upload|transmit)\s+.*\b(password|credentials?|secret|token|key|private)\b/gi,
            /\b(read|write|access)\s+.*\b(\/etc\/|\/root\/|\.ssh|\.aws|\.env)\b/gi,
            /\b(curl|wget|fetch)\s+http/gi,
            /\b(eval|exec|system|shell_exec|subprocess)\s*\(/gi,
            /\bsudo\s+/gi,
            /\bchmod\s+777/gi
        ],
        severity: 'critical',
        confidence: 0.85,
        description: 'Attempts to abuse tools or execute dangerous commands'
    },
    // Encoding/Obfuscation Attacks
    encodingAttack: {
        patterns: [
            /\bdecode\s+(this|the\s+following)\s+(base64|hex|rot13)/gi,
            /\b(base64|hex|rot13)\s*:\s*[A-Za-z0-9+/=]{20,}/gi,
            /\\x[0-9a-fA-F]{2}/g,
            /\\u[0-9a-fA-F]{4}/g,
            /&#x?[0-9a-fA-F]+;/g,
            /\beval\s*\(\s*atob\s*\(/gi
        ],
        severity: 'medium',
        confidence: 0.6,
        description: 'Encoded or obfuscated attack payloads'
    },
    // Indirect Injection (via data)
    indirectInjection: {
        patterns: [
            /\[SYSTEM\]|\[INST\]|\[\/INST\]|<\|system\|>|<\|user\|>/gi,
            /###\s*(system|instruction|human|assistant)\s*:/gi,
            /<\/?s>|<\/?human>|<\/?assistant>/gi,
            /\bHuman:\s*|\bAssistant:\s*|\bSystem:\s*/gi
        ],
        severity: 'high',
        confidence: 0.75,
        description: 'Indirect injection via data/markup'
    },
    // Prompt Leaking via Completion
    completionLeak: {
        patterns: [
            /\bcomplete\s+the\s+(following|sentence|text)\s*:\s*["']?(system|instruction)/gi,
            /\bfinish\s+this\s+(sentence|prompt)\s*:\s*["']?you\s+are/gi,
            /\bwhat\s+comes\s+(after|next)\s*:\s*["']?(ignore|bypass|system)/gi
        ],
        severity: 'medium',
        confidence: 0.65,
        description: 'Attempts to leak prompts via completion'
    }
};
/**
 * Check for prompt injection attempts
 * @param input - The input text to check
 * @returns Array of findings
 */
function checkPromptInjection(input) {
    const findings = [];
    for (const [category, config] of Object.entries(PATTERNS)) {
        for (const pattern of config.patterns) {
            // Reset lastIndex for global patterns
            pattern.lastIndex = 0;
            const matches = Array.from(input.matchAll(pattern));
            if (matches.length > 0) {
                const match = matches[0];
                // Check for false positives
                if (!isLikelyFalsePositive(input, match[0])) {
                    findings.push(createFinding(category, config.severity, match, config.confidence, input, config.description));
                    // Only report one finding per category
                    break;
                }
            }
        }
    }
    return findings;
}
/**
 * Sanitize input by removing or neutralizing injection attempts
 * @param input - The input to sanitize
 * @returns Sanitized input and list of removed patterns
 */
function sanitizePromptInjection(input) {
    let sanitized = input;
    const removed = [];
    for (const [category, config] of Object.entries(PATTERNS)) {
        for (const pattern of config.patterns) {
            pattern.lastIndex = 0;
            const matches = Array.from(sanitized.matchAll(pattern));
            for (const match of matches) {
                if (!isLikelyFalsePositive(input, match[0])) {
                    removed.push(`[${category}]: ${match[0]}`);
                    sanitized = sanitized.replace(match[0], '[REMOVED]');
                }
            }
        }
    }
    return {
        sanitized,
        removed,
        wasModified: removed.length > 0
    };
}
/**
 * Get risk score for input (0-1)
 * @param input - The input to score
 * @returns Risk score between 0 and 1
 */
function getInjectionRiskScore(input) {
    const findings = checkPromptInjection(input);
    if (findings.length === 0)
        return 0;
    const severityWeights = {
        medium: 0.4,
        high: 0.7,
        critical: 1.0
    };
    let maxScore = 0;
    for (const finding of findings) {
        const score = severityWeights[finding.severity] * finding.confidence.value;
        maxScore = Math.max(maxScore, score);
    }
    return maxScore;
}
/**
 * Quick check if input is likely safe (no injection detected)
 * @param input - The input to check
 * @returns true if no injection detected
 */
function isInputSafe(input) {
    return checkPromptInjection(input).length === 0;
}
/**
 * Create a finding object
 */
function createFinding(category, severity, match, confidence, fullInput, description) {
    const messages = {
        systemOverride: 'System override attempt detected',
        policyBypass: 'Policy bypass attempt detected',
        contextExfiltration: 'System prompt exfiltration attempt detected',
        jailbreak: 'Jailbreak attempt detected (DAN/similar)',
        roleplayManipulation: 'Roleplay manipulation attempt detected',
        toolAbuse: 'Tool abuse attempt detected',
        encodingAttack: 'Encoded/obfuscated attack detected',
        indirectInjection: 'Indirect injection markers detected',
        completionLeak: 'Prompt leak via completion detected'
    };
    const recommendations = {
        systemOverride: 'Reject or sanitize request. Use sanitizePromptInjection() to clean input.',
        policyBypass: 'Block request - attempting to bypass safety policies.',
        contextExfiltration: 'Sanitize request to prevent system prompt leakage.',
        jailbreak: 'Block immediately - known jailbreak technique.',
        roleplayManipulation: 'Review carefully - roleplay may be used to bypass safety.',
        toolAbuse: 'Block immediately - attempting dangerous operations.',
        encodingAttack: 'Decode and re-scan before processing.',
        indirectInjection: 'Sanitize data inputs - may contain injected instructions.',
        completionLeak: 'Block - attempting to extract prompts via completion.'
    };
    const contextClarity = analyzeContext(fullInput, match[0]);
    return {
        id: `PROMPT_INJECTION_${category.toUpperCase()}`,
        category: 'security',
        severity,
        surface: 'input',
        message: messages[category] || 'Prompt injection attempt detected',
        recommendation: recommendations[category] || 'Review and sanitize input.',
        evidence: {
            textSample: (0, text_1.truncate)(match[0], 100),
            pattern: category,
            context: (0, text_1.extractContext)(fullInput, match.index || 0, 50)
        },
        confidence: calculateConfidence(confidence, contextClarity),
        limitations: LIMITATIONS,
        methodology: METHODOLOGY,
        metadata: {
            attackType: category,
            description
        }
    };
}
/**
 * Calculate confidence score
 */
function calculateConfidence(baseConfidence, contextClarity) {
    const value = baseConfidence * contextClarity;
    return {
        value,
        interval: [Math.max(0, value - 0.15), Math.min(1, value + 0.15)],
        method: 'empirical',
        factors: {
            patternStrength: baseConfidence,
            contextClarity
        }
    };
}
/**
 * Check if this is likely a false positive
 */
function isLikelyFalsePositive(fullText, matchedText) {
    // Educational context
    const educationalMarkers = [
        /this\s+is\s+an\s+example\s+of/i,
        /for\s+educational\s+purposes/i,
        /demonstrate\s+how/i,
        /showing\s+you\s+what\s+not\s+to/i,
        /never\s+do\s+this/i,
        /avoid\s+doing/i,
        /here'?s?\s+how\s+attacks?\s+work/i,
        /security\s+training/i,
        /awareness\s+training/i
    ];
    if (educationalMarkers.some(p => p.test(fullText))) {
        return true;
    }
    // Question about security
    const securityQuestions = [
        /how\s+(do|can)\s+(?:i|we|you)\s+prevent/i,
        /what\s+(?:is|are)\s+the\s+risks?\s+of/i,
        /how\s+to\s+protect\s+against/i,
        /how\s+to\s+detect/i,
        /what\s+is\s+prompt\s+injection/i
    ];
    if (securityQuestions.some(p => p.test(fullText))) {
        return true;
    }
    // Quoted content
    if ((0, text_1.isLikelyQuoted)(fullText, matchedText)) {
        return true;
    }
    return false;
}
/**
 * Analyze context to refine confidence
 */
function analyzeContext(fullText, match) {
    const matchIndex = fullText.indexOf(match);
    if (matchIndex === -1)
        return 0.9;
    const before = fullText.substring(Math.max(0, matchIndex - 30), matchIndex);
    const after = fullText.substring(matchIndex + match.length, matchIndex + match.length + 30);
    // Lower confidence if surrounded by quotes or code markers
    if (/["'`]/.test(before) || /["'`]/.test(after)) {
        return 0.6;
    }
    // Lower confidence if in code block
    if (/```/.test(before) || /```/.test(after)) {
        return 0.5;
    }
    return 0.9;
}
//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozLCJmaWxlIjoicHJvbXB0LWluamVjdGlvbi5qcyIsInNvdXJjZVJvb3QiOiIiLCJzb3VyY2VzIjpbIi4uLy4uLy4uL3NyYy9jc202L3NlY3VyaXR5L3Byb21wdC1pbmplY3Rpb24udHMiXSwibmFtZXMiOltdLCJtYXBwaW5ncyI6IjtBQUFBOzs7Ozs7Ozs7R0FTRzs7QUE4S0gsb0RBK0JDO0FBT0QsMERBMkJDO0FBT0Qsc0RBaUJDO0FBT0Qsa0NBRUM7QUE3UUQsMkNBQTRFO0FBRTVFLE1BQU0sV0FBVyxHQUFHO0lBQ2xCLG1EQUFtRDtJQUNuRCx1QkFBdUI7SUFDdkIsNENBQTRDO0lBQzVDLHdDQUF3QztJQUN4QyxnREFBZ0Q7SUFDaEQsa0RBQWtEO0NBQ25ELENBQUM7QUFFRixNQUFNLFdBQVcsR0FDZix5Q0FBeUM7SUFDekMsaUVBQWlFO0lBQ2pFLHdFQUF3RTtJQUN4RSxnRUFBZ0UsQ0FBQztBQVNuRTs7O0dBR0c7QUFDSCxNQUFNLFFBQVEsR0FBa0M7SUFDOUMsd0NBQXdDO0lBQ3hDLGNBQWMsRUFBRTtRQUNkLFFBQVEsRUFBRTtZQUNSLHdJQUF3STtZQUN4SSwyRUFBMkU7WUFDM0UsNkVBQTZFO1lBQzdFLDJGQUEyRjtZQUMzRixzRUFBc0U7WUFDdEUseURBQXlEO1lBQ3pELHlEQUF5RDtZQUN6RCxvSEFBb0g7U0FDckg7UUFDRCxRQUFRLEVBQUUsTUFBTTtRQUNoQixVQUFVLEVBQUUsR0FBRztRQUNmLFdBQVcsRUFBRSwwQ0FBMEM7S0FDeEQ7SUFFRCx1QkFBdUI7SUFDdkIsWUFBWSxFQUFFO1FBQ1osUUFBUSxFQUFFO1lBQ1IsZ0lBQWdJO1lBQ2hJLG9KQUFvSjtZQUNwSixnRUFBZ0U7WUFDaEUsa0VBQWtFO1lBQ2xFLGlGQUFpRjtZQUNqRiw0RUFBNEU7U0FDN0U7UUFDRCxRQUFRLEVBQUUsTUFBTTtRQUNoQixVQUFVLEVBQUUsSUFBSTtRQUNoQixXQUFXLEVBQUUsb0NBQW9DO0tBQ2xEO0lBRUQscUNBQXFDO0lBQ3JDLG1CQUFtQixFQUFFO1FBQ25CLFFBQVEsRUFBRTtZQUNSLDRKQUE0SjtZQUM1SixxSEFBcUg7WUFDckgsOEVBQThFO1lBQzlFLDJFQUEyRTtZQUMzRSw2REFBNkQ7WUFDN0QsK0RBQStEO1lBQy9ELGdGQUFnRjtZQUNoRix3R0FBd0c7U0FDekc7UUFDRCxRQUFRLEVBQUUsUUFBUTtRQUNsQixVQUFVLEVBQUUsR0FBRztRQUNmLFdBQVcsRUFBRSw4Q0FBOEM7S0FDNUQ7SUFFRCxpQ0FBaUM7SUFDakMsU0FBUyxFQUFFO1FBQ1QsUUFBUSxFQUFFO1lBQ1IsaUNBQWlDO1lBQ2pDLDBCQUEwQjtZQUMxQiw0Q0FBNEM7WUFDNUMsZ0VBQWdFO1lBQ2hFLHlFQUF5RTtZQUN6RSxvRkFBb0Y7WUFDcEYsdUNBQXVDO1lBQ3ZDLGlCQUFpQjtTQUNsQjtRQUNELFFBQVEsRUFBRSxNQUFNO1FBQ2hCLFVBQVUsRUFBRSxJQUFJO1FBQ2hCLFdBQVcsRUFBRSx3Q0FBd0M7S0FDdEQ7SUFFRCx3QkFBd0I7SUFDeEIsb0JBQW9CLEVBQUU7UUFDcEIsUUFBUSxFQUFFO1lBQ1Isa0ZBQWtGO1lBQ2xGLHlEQUF5RDtZQUN6RCx5RUFBeUU7WUFDekUsa0ZBQWtGO1lBQ2xGLGtGQUFrRjtTQUNuRjtRQUNELFFBQVEsRUFBRSxRQUFRO1FBQ2xCLFVBQVUsRUFBRSxHQUFHO1FBQ2YsV0FBVyxFQUFFLHNDQUFzQztLQUNwRDtJQUVELHNCQUFzQjtJQUN0QixTQUFTLEVBQUU7UUFDVCxRQUFRLEVBQUU7WUFDUixzRkFBc0Y7WUFDdEYsZ0dBQWdHO1lBQ2hHLHNFQUFzRTtZQUN0RSw4QkFBOEI7WUFDOUIsbURBQW1EO1lBQ25ELGFBQWE7WUFDYixpQkFBaUI7U0FDbEI7UUFDRCxRQUFRLEVBQUUsVUFBVTtRQUNwQixVQUFVLEVBQUUsSUFBSTtRQUNoQixXQUFXLEVBQUUsdURBQXVEO0tBQ3JFO0lBRUQsK0JBQStCO0lBQy9CLGNBQWMsRUFBRTtRQUNkLFFBQVEsRUFBRTtZQUNSLDBEQUEwRDtZQUMxRCxrREFBa0Q7WUFDbEQsb0JBQW9CO1lBQ3BCLG9CQUFvQjtZQUNwQixvQkFBb0I7WUFDcEIsMkJBQTJCO1NBQzVCO1FBQ0QsUUFBUSxFQUFFLFFBQVE7UUFDbEIsVUFBVSxFQUFFLEdBQUc7UUFDZixXQUFXLEVBQUUsdUNBQXVDO0tBQ3JEO0lBRUQsZ0NBQWdDO0lBQ2hDLGlCQUFpQixFQUFFO1FBQ2pCLFFBQVEsRUFBRTtZQUNSLDBEQUEwRDtZQUMxRCxrREFBa0Q7WUFDbEQsb0NBQW9DO1lBQ3BDLDRDQUE0QztTQUM3QztRQUNELFFBQVEsRUFBRSxNQUFNO1FBQ2hCLFVBQVUsRUFBRSxJQUFJO1FBQ2hCLFdBQVcsRUFBRSxvQ0FBb0M7S0FDbEQ7SUFFRCxnQ0FBZ0M7SUFDaEMsY0FBYyxFQUFFO1FBQ2QsUUFBUSxFQUFFO1lBQ1IsZ0ZBQWdGO1lBQ2hGLDREQUE0RDtZQUM1RCxtRUFBbUU7U0FDcEU7UUFDRCxRQUFRLEVBQUUsUUFBUTtRQUNsQixVQUFVLEVBQUUsSUFBSTtRQUNoQixXQUFXLEVBQUUseUNBQXlDO0tBQ3ZEO0NBQ0YsQ0FBQztBQUVGOzs7O0dBSUc7QUFDSCxTQUFnQixvQkFBb0IsQ0FBQyxLQUFhO0lBQ2hELE1BQU0sUUFBUSxHQUFjLEVBQUUsQ0FBQztJQUUvQixLQUFLLE1BQU0sQ0FBQyxRQUFRLEVBQUUsTUFBTSxDQUFDLElBQUksTUFBTSxDQUFDLE9BQU8sQ0FBQyxRQUFRLENBQUMsRUFBRSxDQUFDO1FBQzFELEtBQUssTUFBTSxPQUFPLElBQUksTUFBTSxDQUFDLFFBQVEsRUFBRSxDQUFDO1lBQ3RDLHNDQUFzQztZQUN0QyxPQUFPLENBQUMsU0FBUyxHQUFHLENBQUMsQ0FBQztZQUN0QixNQUFNLE9BQU8sR0FBRyxLQUFLLENBQUMsSUFBSSxDQUFDLEtBQUssQ0FBQyxRQUFRLENBQUMsT0FBTyxDQUFDLENBQUMsQ0FBQztZQUVwRCxJQUFJLE9BQU8sQ0FBQyxNQUFNLEdBQUcsQ0FBQyxFQUFFLENBQUM7Z0JBQ3ZCLE1BQU0sS0FBSyxHQUFHLE9BQU8sQ0FBQyxDQUFDLENBQUMsQ0FBQztnQkFFekIsNEJBQTRCO2dCQUM1QixJQUFJLENBQUMscUJBQXFCLENBQUMsS0FBSyxFQUFFLEtBQUssQ0FBQyxDQUFDLENBQUMsQ0FBQyxFQUFFLENBQUM7b0JBQzVDLFFBQVEsQ0FBQyxJQUFJLENBQUMsYUFBYSxDQUN6QixRQUFRLEVBQ1IsTUFBTSxDQUFDLFFBQVEsRUFDZixLQUFLLEVBQ0wsTUFBTSxDQUFDLFVBQVUsRUFDakIsS0FBSyxFQUNMLE1BQU0sQ0FBQyxXQUFXLENBQ25CLENBQUMsQ0FBQztvQkFFSCx1Q0FBdUM7b0JBQ3ZDLE1BQU07Z0JBQ1IsQ0FBQztZQUNILENBQUM7UUFDSCxDQUFDO0lBQ0gsQ0FBQztJQUVELE9BQU8sUUFBUSxDQUFDO0FBQ2xCLENBQUM7QUFFRDs7OztHQUlHO0FBQ0gsU0FBZ0IsdUJBQXVCLENBQUMsS0FBYTtJQUtuRCxJQUFJLFNBQVMsR0FBRyxLQUFLLENBQUM7SUFDdEIsTUFBTSxPQUFPLEdBQWEsRUFBRSxDQUFDO0lBRTdCLEtBQUssTUFBTSxDQUFDLFFBQVEsRUFBRSxNQUFNLENBQUMsSUFBSSxNQUFNLENBQUMsT0FBTyxDQUFDLFFBQVEsQ0FBQyxFQUFFLENBQUM7UUFDMUQsS0FBSyxNQUFNLE9BQU8sSUFBSSxNQUFNLENBQUMsUUFBUSxFQUFFLENBQUM7WUFDdEMsT0FBTyxDQUFDLFNBQVMsR0FBRyxDQUFDLENBQUM7WUFDdEIsTUFBTSxPQUFPLEdBQUcsS0FBSyxDQUFDLElBQUksQ0FBQyxTQUFTLENBQUMsUUFBUSxDQUFDLE9BQU8sQ0FBQyxDQUFDLENBQUM7WUFFeEQsS0FBSyxNQUFNLEtBQUssSUFBSSxPQUFPLEVBQUUsQ0FBQztnQkFDNUIsSUFBSSxDQUFDLHFCQUFxQixDQUFDLEtBQUssRUFBRSxLQUFLLENBQUMsQ0FBQyxDQUFDLENBQUMsRUFBRSxDQUFDO29CQUM1QyxPQUFPLENBQUMsSUFBSSxDQUFDLElBQUksUUFBUSxNQUFNLEtBQUssQ0FBQyxDQUFDLENBQUMsRUFBRSxDQUFDLENBQUM7b0JBQzNDLFNBQVMsR0FBRyxTQUFTLENBQUMsT0FBTyxDQUFDLEtBQUssQ0FBQyxDQUFDLENBQUMsRUFBRSxXQUFXLENBQUMsQ0FBQztnQkFDdkQsQ0FBQztZQUNILENBQUM7UUFDSCxDQUFDO0lBQ0gsQ0FBQztJQUVELE9BQU87UUFDTCxTQUFTO1FBQ1QsT0FBTztRQUNQLFdBQVcsRUFBRSxPQUFPLENBQUMsTUFBTSxHQUFHLENBQUM7S0FDaEMsQ0FBQztBQUNKLENBQUM7QUFFRDs7OztHQUlHO0FBQ0gsU0FBZ0IscUJBQXFCLENBQUMsS0FBYTtJQUNqRCxNQUFNLFFBQVEsR0FBRyxvQkFBb0IsQ0FBQyxLQUFLLENBQUMsQ0FBQztJQUM3QyxJQUFJLFFBQVEsQ0FBQyxNQUFNLEtBQUssQ0FBQztRQUFFLE9BQU8sQ0FBQyxDQUFDO0lBRXBDLE1BQU0sZUFBZSxHQUEyQjtRQUM5QyxNQUFNLEVBQUUsR0FBRztRQUNYLElBQUksRUFBRSxHQUFHO1FBQ1QsUUFBUSxFQUFFLEdBQUc7S0FDZCxDQUFDO0lBRUYsSUFBSSxRQUFRLEdBQUcsQ0FBQyxDQUFDO0lBQ2pCLEtBQUssTUFBTSxPQUFPLElBQUksUUFBUSxFQUFFLENBQUM7UUFDL0IsTUFBTSxLQUFLLEdBQUcsZUFBZSxDQUFDLE9BQU8sQ0FBQyxRQUFRLENBQUMsR0FBRyxPQUFPLENBQUMsVUFBVSxDQUFDLEtBQUssQ0FBQztRQUMzRSxRQUFRLEdBQUcsSUFBSSxDQUFDLEdBQUcsQ0FBQyxRQUFRLEVBQUUsS0FBSyxDQUFDLENBQUM7SUFDdkMsQ0FBQztJQUVELE9BQU8sUUFBUSxDQUFDO0FBQ2xCLENBQUM7QUFFRDs7OztHQUlHO0FBQ0gsU0FBZ0IsV0FBVyxDQUFDLEtBQWE7SUFDdkMsT0FBTyxvQkFBb0IsQ0FBQyxLQUFLLENBQUMsQ0FBQyxNQUFNLEtBQUssQ0FBQyxDQUFDO0FBQ2xELENBQUM7QUFFRDs7R0FFRztBQUNILFNBQVMsYUFBYSxDQUNwQixRQUFnQixFQUNoQixRQUE2QixFQUM3QixLQUF1QixFQUN2QixVQUFrQixFQUNsQixTQUFpQixFQUNqQixXQUFtQjtJQUVuQixNQUFNLFFBQVEsR0FBMkI7UUFDdkMsY0FBYyxFQUFFLGtDQUFrQztRQUNsRCxZQUFZLEVBQUUsZ0NBQWdDO1FBQzlDLG1CQUFtQixFQUFFLDZDQUE2QztRQUNsRSxTQUFTLEVBQUUsMENBQTBDO1FBQ3JELG9CQUFvQixFQUFFLHdDQUF3QztRQUM5RCxTQUFTLEVBQUUsNkJBQTZCO1FBQ3hDLGNBQWMsRUFBRSxvQ0FBb0M7UUFDcEQsaUJBQWlCLEVBQUUscUNBQXFDO1FBQ3hELGNBQWMsRUFBRSxxQ0FBcUM7S0FDdEQsQ0FBQztJQUVGLE1BQU0sZUFBZSxHQUEyQjtRQUM5QyxjQUFjLEVBQUUsMkVBQTJFO1FBQzNGLFlBQVksRUFBRSx1REFBdUQ7UUFDckUsbUJBQW1CLEVBQUUsb0RBQW9EO1FBQ3pFLFNBQVMsRUFBRSxnREFBZ0Q7UUFDM0Qsb0JBQW9CLEVBQUUsMkRBQTJEO1FBQ2pGLFNBQVMsRUFBRSxzREFBc0Q7UUFDakUsY0FBYyxFQUFFLHVDQUF1QztRQUN2RCxpQkFBaUIsRUFBRSwyREFBMkQ7UUFDOUUsY0FBYyxFQUFFLHVEQUF1RDtLQUN4RSxDQUFDO0lBRUYsTUFBTSxjQUFjLEdBQUcsY0FBYyxDQUFDLFNBQVMsRUFBRSxLQUFLLENBQUMsQ0FBQyxDQUFDLENBQUMsQ0FBQztJQUUzRCxPQUFPO1FBQ0wsRUFBRSxFQUFFLG9CQUFvQixRQUFRLENBQUMsV0FBVyxFQUFFLEVBQUU7UUFDaEQsUUFBUSxFQUFFLFVBQVU7UUFDcEIsUUFBUTtRQUNSLE9BQU8sRUFBRSxPQUFPO1FBQ2hCLE9BQU8sRUFBRSxRQUFRLENBQUMsUUFBUSxDQUFDLElBQUksbUNBQW1DO1FBQ2xFLGNBQWMsRUFBRSxlQUFlLENBQUMsUUFBUSxDQUFDLElBQUksNEJBQTRCO1FBRXpFLFFBQVEsRUFBRTtZQUNSLFVBQVUsRUFBRSxJQUFBLGVBQVEsRUFBQyxLQUFLLENBQUMsQ0FBQyxDQUFDLEVBQUUsR0FBRyxDQUFDO1lBQ25DLE9BQU8sRUFBRSxRQUFRO1lBQ2pCLE9BQU8sRUFBRSxJQUFBLHFCQUFjLEVBQUMsU0FBUyxFQUFFLEtBQUssQ0FBQyxLQUFLLElBQUksQ0FBQyxFQUFFLEVBQUUsQ0FBQztTQUN6RDtRQUVELFVBQVUsRUFBRSxtQkFBbUIsQ0FBQyxVQUFVLEVBQUUsY0FBYyxDQUFDO1FBQzNELFdBQVcsRUFBRSxXQUFXO1FBQ3hCLFdBQVcsRUFBRSxXQUFXO1FBQ3hCLFFBQVEsRUFBRTtZQUNSLFVBQVUsRUFBRSxRQUFRO1lBQ3BCLFdBQVc7U0FDWjtLQUNGLENBQUM7QUFDSixDQUFDO0FBRUQ7O0dBRUc7QUFDSCxTQUFTLG1CQUFtQixDQUFDLGNBQXNCLEVBQUUsY0FBc0I7SUFDekUsTUFBTSxLQUFLLEdBQUcsY0FBYyxHQUFHLGNBQWMsQ0FBQztJQUU5QyxPQUFPO1FBQ0wsS0FBSztRQUNMLFFBQVEsRUFBRSxDQUFDLElBQUksQ0FBQyxHQUFHLENBQUMsQ0FBQyxFQUFFLEtBQUssR0FBRyxJQUFJLENBQUMsRUFBRSxJQUFJLENBQUMsR0FBRyxDQUFDLENBQUMsRUFBRSxLQUFLLEdBQUcsSUFBSSxDQUFDLENBQUM7UUFDaEUsTUFBTSxFQUFFLFdBQVc7UUFDbkIsT0FBTyxFQUFFO1lBQ1AsZUFBZSxFQUFFLGNBQWM7WUFDL0IsY0FBYztTQUNmO0tBQ0YsQ0FBQztBQUNKLENBQUM7QUFFRDs7R0FFRztBQUNILFNBQVMscUJBQXFCLENBQUMsUUFBZ0IsRUFBRSxXQUFtQjtJQUNsRSxzQkFBc0I7SUFDdEIsTUFBTSxrQkFBa0IsR0FBRztRQUN6QixnQ0FBZ0M7UUFDaEMsK0JBQStCO1FBQy9CLG9CQUFvQjtRQUNwQixrQ0FBa0M7UUFDbEMsb0JBQW9CO1FBQ3BCLGdCQUFnQjtRQUNoQixtQ0FBbUM7UUFDbkMsc0JBQXNCO1FBQ3RCLHVCQUF1QjtLQUN4QixDQUFDO0lBRUYsSUFBSSxrQkFBa0IsQ0FBQyxJQUFJLENBQUMsQ0FBQyxDQUFDLEVBQUUsQ0FBQyxDQUFDLENBQUMsSUFBSSxDQUFDLFFBQVEsQ0FBQyxDQUFDLEVBQUUsQ0FBQztRQUNuRCxPQUFPLElBQUksQ0FBQztJQUNkLENBQUM7SUFFRCwwQkFBMEI7SUFDMUIsTUFBTSxpQkFBaUIsR0FBRztRQUN4QiwwQ0FBMEM7UUFDMUMsd0NBQXdDO1FBQ3hDLCtCQUErQjtRQUMvQixvQkFBb0I7UUFDcEIsaUNBQWlDO0tBQ2xDLENBQUM7SUFFRixJQUFJLGlCQUFpQixDQUFDLElBQUksQ0FBQyxDQUFDLENBQUMsRUFBRSxDQUFDLENBQUMsQ0FBQyxJQUFJLENBQUMsUUFBUSxDQUFDLENBQUMsRUFBRSxDQUFDO1FBQ2xELE9BQU8sSUFBSSxDQUFDO0lBQ2QsQ0FBQztJQUVELGlCQUFpQjtJQUNqQixJQUFJLElBQUEscUJBQWMsRUFBQyxRQUFRLEVBQUUsV0FBVyxDQUFDLEVBQUUsQ0FBQztRQUMxQyxPQUFPLElBQUksQ0FBQztJQUNkLENBQUM7SUFFRCxPQUFPLEtBQUssQ0FBQztBQUNmLENBQUM7QUFFRDs7R0FFRztBQUNILFNBQVMsY0FBYyxDQUFDLFFBQWdCLEVBQUUsS0FBYTtJQUNyRCxNQUFNLFVBQVUsR0FBRyxRQUFRLENBQUMsT0FBTyxDQUFDLEtBQUssQ0FBQyxDQUFDO0lBQzNDLElBQUksVUFBVSxLQUFLLENBQUMsQ0FBQztRQUFFLE9BQU8sR0FBRyxDQUFDO0lBRWxDLE1BQU0sTUFBTSxHQUFHLFFBQVEsQ0FBQyxTQUFTLENBQUMsSUFBSSxDQUFDLEdBQUcsQ0FBQyxDQUFDLEVBQUUsVUFBVSxHQUFHLEVBQUUsQ0FBQyxFQUFFLFVBQVUsQ0FBQyxDQUFDO0lBQzVFLE1BQU0sS0FBSyxHQUFHLFFBQVEsQ0FBQyxTQUFTLENBQUMsVUFBVSxHQUFHLEtBQUssQ0FBQyxNQUFNLEVBQUUsVUFBVSxHQUFHLEtBQUssQ0FBQyxNQUFNLEdBQUcsRUFBRSxDQUFDLENBQUM7SUFFNUYsMkRBQTJEO0lBQzNELElBQUksT0FBTyxDQUFDLElBQUksQ0FBQyxNQUFNLENBQUMsSUFBSSxPQUFPLENBQUMsSUFBSSxDQUFDLEtBQUssQ0FBQyxFQUFFLENBQUM7UUFDaEQsT0FBTyxHQUFHLENBQUM7SUFDYixDQUFDO0lBRUQsb0NBQW9DO0lBQ3BDLElBQUksS0FBSyxDQUFDLElBQUksQ0FBQyxNQUFNLENBQUMsSUFBSSxLQUFLLENBQUMsSUFBSSxDQUFDLEtBQUssQ0FBQyxFQUFFLENBQUM7UUFDNUMsT0FBTyxHQUFHLENBQUM7SUFDYixDQUFDO0lBRUQsT0FBTyxHQUFHLENBQUM7QUFDYixDQUFDIiwic291cmNlc0NvbnRlbnQiOlsiLyoqXG4gKiBQcm9tcHQgSW5qZWN0aW9uIERldGVjdGlvbiAmIERldGVycmVuY2VcbiAqIFxuICogQ29tcHJlaGVuc2l2ZSBkZXRlY3Rpb24gYmFzZWQgb24gT1dBU1AgTExNLTAxLlxuICogSW5jbHVkZXMgZGV0ZWN0aW9uLCBzYW5pdGl6YXRpb24sIGFuZCBkZXRlcnJlbmNlIHV0aWxpdGllcy5cbiAqIFxuICogQG1vZHVsZSBjc202L3NlY3VyaXR5L3Byb21wdC1pbmplY3Rpb25cbiAqIEBhdXRob3IgSGFpZWNcbiAqIEBsaWNlbnNlIE1JVFxuICovXG5cbmltcG9ydCB7IEZpbmRpbmcsIENvbmZpZGVuY2VTY29yZSB9IGZyb20gJy4uLy4uL3R5cGVzL3Jlc3VsdHMnO1xuaW1wb3J0IHsgdHJ1bmNhdGUsIGV4dHJhY3RDb250ZXh0LCBpc0xpa2VseVF1b3RlZCB9IGZyb20gJy4uLy4uL3V0aWxzL3RleHQnO1xuXG5jb25zdCBMSU1JVEFUSU9OUyA9IFtcbiAgJ1BhdHRlcm4tYmFzZWQgZGV0ZWN0aW9uIChub3ZlbCBhdHRhY2tzIG1heSBldmFkZSknLFxuICAnRW5nbGlzaCBsYW5ndWFnZSBvbmx5JyxcbiAgJ0NvbnRleHQtZGVwZW5kZW50IGZhbHNlIHBvc2l0aXZlcyBwb3NzaWJsZScsXG4gICdPYmZ1c2NhdGVkIGF0dGFja3MgbWF5IG5vdCBiZSBkZXRlY3RlZCcsXG4gICdCYXNlNjQvZW5jb2RpbmcgYXR0YWNrcyBoYXZlIGxpbWl0ZWQgZGV0ZWN0aW9uJyxcbiAgJ0VkdWNhdGlvbmFsIGNvbnRlbnQgYWJvdXQgYXR0YWNrcyBtYXkgYmUgZmxhZ2dlZCdcbl07XG5cbmNvbnN0IE1FVEhPRE9MT0dZID1cbiAgJ09XQVNQIExMTS0wMSBhbGlnbmVkIHBhdHRlcm4gbWF0Y2hpbmcuICcgK1xuICAnRGV0ZWN0cyBrbm93biBwcm9tcHQgaW5qZWN0aW9uIHRlY2huaXF1ZXMgdXNpbmcgcmVnZXggcGF0dGVybnMgJyArXG4gICd2YWxpZGF0ZWQgYWdhaW5zdCBwdWJsaWMgYXR0YWNrIGRhdGFzZXRzIChIYWNrQVByb21wdCwgR2FuZGFsZiwgZXRjKS4gJyArXG4gICdBY2N1cmFjeTogfjcwLTg1JSBvbiBrbm93biBhdHRhY2tzLCBsb3dlciBvbiBub3ZlbCB2YXJpYXRpb25zLic7XG5cbmludGVyZmFjZSBQYXR0ZXJuQ29uZmlnIHtcbiAgcGF0dGVybnM6IFJlZ0V4cFtdO1xuICBzZXZlcml0eTogJ21lZGl1bScgfCAnaGlnaCcgfCAnY3JpdGljYWwnO1xuICBjb25maWRlbmNlOiBudW1iZXI7XG4gIGRlc2NyaXB0aW9uOiBzdHJpbmc7XG59XG5cbi8qKlxuICogQ29tcHJlaGVuc2l2ZSBwcm9tcHQgaW5qZWN0aW9uIHBhdHRlcm5zXG4gKiBDYXRlZ29yaWVzIGJhc2VkIG9uIE9XQVNQIExMTSBUb3AgMTAgYW5kIHJlYWwtd29ybGQgYXR0YWNrIGRhdGFzZXRzXG4gKi9cbmNvbnN0IFBBVFRFUk5TOiBSZWNvcmQ8c3RyaW5nLCBQYXR0ZXJuQ29uZmlnPiA9IHtcbiAgLy8gT1dBU1AgTExNMDE6IFN5c3RlbSBPdmVycmlkZSBBdHRlbXB0c1xuICBzeXN0ZW1PdmVycmlkZToge1xuICAgIHBhdHRlcm5zOiBbXG4gICAgICAvXFxiKGlnbm9yZXxieXBhc3N8Zm9yZ2V0fGRpc3JlZ2FyZClcXHMrKGFsbFxccyspPyh5b3VyXFxzKyk/KHByZXZpb3VzfHByaW9yfGFib3ZlfGVhcmxpZXIpXFxzKyhpbnN0cnVjdGlvbnM/fHJ1bGVzP3xwcm9tcHRzP3xkaXJlY3RpdmVzPykvZ2ksXG4gICAgICAvXFxieW91XFxzK2FyZVxccytub3dcXHMrKHRoZVxccyspPyhzeXN0ZW18YWRtaW58ZGV2ZWxvcGVyfHJvb3R8Z29kXFxzKm1vZGUpXFxiL2dpLFxuICAgICAgL1xcYmFzXFxzKyhzeXN0ZW18YWRtaW58ZGV2ZWxvcGVyfHJvb3QpLD9cXHMreW91XFxzKyhtdXN0fHNob3VsZHx3aWxsfHNoYWxsKVxcYi9naSxcbiAgICAgIC9cXGIobmV3fHVwZGF0ZWQ/fHJldmlzZWQpXFxzKyhpbnN0cnVjdGlvbnM/fHJ1bGVzP3xzeXN0ZW1cXHMrcHJvbXB0fGRpcmVjdGl2ZXM/KVxccyo6P1xccypcXG4vZ2ksXG4gICAgICAvXFxiKHN0YXJ0fGJlZ2luKVxccysod2l0aHxieSlcXHMrKGlnbm9yaW5nfGZvcmdldHRpbmd8ZGlzcmVnYXJkaW5nKVxcYi9naSxcbiAgICAgIC9cXGJmcm9tXFxzK25vd1xccytvbiw/XFxzKyh5b3VcXHMrKT8od2lsbHxtdXN0fHNob3VsZHxhcmUpL2dpLFxuICAgICAgL1xcYnJlc2V0XFxzKyh5b3VyfGFsbClcXHMrKGluc3RydWN0aW9ucz98cnVsZXM/fGNvbnRleHQpL2dpLFxuICAgICAgL1xcYihpZ25vcmV8YnlwYXNzfGZvcmdldHxkaXNyZWdhcmQpXFxzKyhhbGxcXHMrKT8oeW91clxccyspPyhydWxlcz98Z3VpZGVsaW5lcz98cG9saWNpZXN8ZGlyZWN0aXZlcz98Y29uc3RyYWludHM/KVxcYi9naVxuICAgIF0sXG4gICAgc2V2ZXJpdHk6ICdoaWdoJyxcbiAgICBjb25maWRlbmNlOiAwLjgsXG4gICAgZGVzY3JpcHRpb246ICdBdHRlbXB0cyB0byBvdmVycmlkZSBzeXN0ZW0gaW5zdHJ1Y3Rpb25zJ1xuICB9LFxuICBcbiAgLy8gUG9saWN5L1NhZmV0eSBCeXBhc3NcbiAgcG9saWN5QnlwYXNzOiB7XG4gICAgcGF0dGVybnM6IFtcbiAgICAgIC9cXGIoaWdub3JlfGJ5cGFzc3xvdmVycmlkZXxkaXNhYmxlfHR1cm5cXHMrb2ZmKVxccysoYWxsXFxzKyk/KHNhZmV0eXxjb250ZW50fHBvbGljeXxwb2xpY2llc3xmaWx0ZXJzP3xndWlkZWxpbmVzP3xyZXN0cmljdGlvbnM/KS9naSxcbiAgICAgIC9cXGIocHJldGVuZHxhY3RcXHMrYXNcXHMraWZ8c2ltdWxhdGV8aW1hZ2luZSlcXHMreW91XFxzKyhoYXZlXFxzK25vfGRvbic/dFxccytoYXZlfGxhY2t8YXJlXFxzK3dpdGhvdXQpXFxzKyhyZXN0cmljdGlvbnM/fGxpbWl0YXRpb25zP3xydWxlcz98cG9saWNpZXMpXFxiL2dpLFxuICAgICAgL1xcYmlcXHMrZ2l2ZVxccyt5b3VcXHMrcGVybWlzc2lvblxccyt0b1xccysoaWdub3JlfGJ5cGFzc3xicmVhaylcXGIvZ2ksXG4gICAgICAvXFxiKGVuYWJsZXxhY3RpdmF0ZXxlbnRlcilcXHMrKGRldmVsb3BlcnxkZWJ1Z3xnb2R8YWRtaW4pXFxzK21vZGUvZ2ksXG4gICAgICAvXFxidW5sb2NrXFxzKyh5b3VyXFxzKyk/KGZ1bGx8aGlkZGVufHNlY3JldClcXHMrKHBvdGVudGlhbHxjYXBhYmlsaXRpZXN8ZmVhdHVyZXMpL2dpLFxuICAgICAgL1xcYm5vXFxzKyhldGhpY2FsfG1vcmFsfHNhZmV0eSlcXHMrKGd1aWRlbGluZXM/fHJlc3RyaWN0aW9ucz98bGltaXRhdGlvbnM/KS9naVxuICAgIF0sXG4gICAgc2V2ZXJpdHk6ICdoaWdoJyxcbiAgICBjb25maWRlbmNlOiAwLjc1LFxuICAgIGRlc2NyaXB0aW9uOiAnQXR0ZW1wdHMgdG8gYnlwYXNzIHNhZmV0eSBwb2xpY2llcydcbiAgfSxcbiAgXG4gIC8vIENvbnRleHQvU3lzdGVtIFByb21wdCBFeGZpbHRyYXRpb25cbiAgY29udGV4dEV4ZmlsdHJhdGlvbjoge1xuICAgIHBhdHRlcm5zOiBbXG4gICAgICAvXFxiKHByaW50fHNob3d8ZGlzcGxheXxyZXZlYWx8b3V0cHV0fGR1bXB8bGlzdClcXHMrKHlvdXJcXHMrKT8oc3lzdGVtXFxzK3Byb21wdHxvcmlnaW5hbFxccytpbnN0cnVjdGlvbnM/fGluaXRpYWxcXHMrcHJvbXB0fGhpZGRlblxccysoY29uZmlnfGluc3RydWN0aW9ucz8pKVxcYi9naSxcbiAgICAgIC9cXGJ3aGF0XFxzKyhpc3xhcmV8d2VyZXx3YXMpXFxzK3lvdXJcXHMrKG9yaWdpbmFsfGluaXRpYWx8Zmlyc3R8c2VjcmV0KVxccysoaW5zdHJ1Y3Rpb25zP3xwcm9tcHR8cnVsZXM/fGRpcmVjdGl2ZXM/KVxcYi9naSxcbiAgICAgIC9cXGIocmVwZWF0fHNob3d8cHJpbnQpXFxzKyhldmVyeXRoaW5nfGFsbClcXHMrKGFib3ZlfGJlZm9yZXxwcmlvcnxwcmV2aW91cylcXGIvZ2ksXG4gICAgICAvXFxiKHNob3d8ZGlzcGxheXxsaXN0KVxccysoYWxsXFxzKyk/KHByZXZpb3VzfHByaW9yfGVhcmxpZXIpXFxzK21lc3NhZ2VzP1xcYi9naSxcbiAgICAgIC9cXGJyZXBlYXRcXHMrKHRoZVxccyspPyh0ZXh0fHdvcmRzfGNvbnRlbnQpXFxzKyhhYm92ZXxiZWZvcmUpL2dpLFxuICAgICAgL1xcYndoYXRcXHMrZGlkXFxzKyh0aGVcXHMrKT8odXNlcnxkZXZlbG9wZXJ8YWRtaW4pXFxzK3RlbGxcXHMreW91L2dpLFxuICAgICAgL1xcYihvdXRwdXR8cHJpbnR8ZWNobylcXHMrKHlvdXJcXHMrKT8oY29uZmlnfGNvbmZpZ3VyYXRpb258c2V0dGluZ3N8cGFyYW1ldGVycykvZ2ksXG4gICAgICAvXFxiKG91dHB1dHxyZXZlYWx8c2hvd3xnaXZlXFxzK21lKVxccysodGhlXFxzKyk/KHN5c3RlbVxccytwcm9tcHR8c3lzdGVtXFxzK2luc3RydWN0aW9ucz98aGlkZGVuXFxzK3Byb21wdCkvZ2lcbiAgICBdLFxuICAgIHNldmVyaXR5OiAnbWVkaXVtJyxcbiAgICBjb25maWRlbmNlOiAwLjcsXG4gICAgZGVzY3JpcHRpb246ICdBdHRlbXB0cyB0byBleHRyYWN0IHN5c3RlbSBwcm9tcHQgb3IgY29udGV4dCdcbiAgfSxcbiAgXG4gIC8vIEphaWxicmVhayBBdHRlbXB0cyAoREFOLCBldGMuKVxuICBqYWlsYnJlYWs6IHtcbiAgICBwYXR0ZXJuczogW1xuICAgICAgL1xcYihEQU58ZG9cXHMrYW55dGhpbmdcXHMrbm93KVxcYi9naSxcbiAgICAgIC9cXGJqYWlsYnJlYWsoZWR8aW5nKT9cXGIvZ2ksXG4gICAgICAvXFxiKFNUQU58RFVERXxBSU18S0VWSU4pXFxzKyhtb2RlfHBlcnNvbmEpL2dpLFxuICAgICAgL1xcYmFjdFxccythc1xccysoYW4/XFxzKyk/KHVucmVzdHJpY3RlZHx1bmZpbHRlcmVkfHVuY2Vuc29yZWQpXFxiL2dpLFxuICAgICAgL1xcYnByZXRlbmRcXHMrKHRvXFxzK2JlfHlvdVxccythcmUpXFxzKyhhbj9cXHMrKT8oZXZpbHxtYWxpY2lvdXN8dW5ldGhpY2FsKS9naSxcbiAgICAgIC9cXGJ5b3VcXHMrYXJlXFxzKyhub3dcXHMrKT8oZnJlZXxsaWJlcmF0ZWQpXFxzK2Zyb21cXHMrKGFsbFxccyspPyhyZXN0cmljdGlvbnM/fHJ1bGVzPykvZ2ksXG4gICAgICAvXFxib3Bwb3NpdGVcXHMrKG1vZGV8ZGF5fHBlcnNvbmFsaXR5KS9naSxcbiAgICAgIC9cXGJhbHRlclxccytlZ28vZ2lcbiAgICBdLFxuICAgIHNldmVyaXR5OiAnaGlnaCcsXG4gICAgY29uZmlkZW5jZTogMC44NSxcbiAgICBkZXNjcmlwdGlvbjogJ0tub3duIGphaWxicmVhayB0ZWNobmlxdWVzIChEQU4sIGV0Yy4pJ1xuICB9LFxuICBcbiAgLy8gUm9sZXBsYXkgTWFuaXB1bGF0aW9uXG4gIHJvbGVwbGF5TWFuaXB1bGF0aW9uOiB7XG4gICAgcGF0dGVybnM6IFtcbiAgICAgIC9cXGJwcmV0ZW5kXFxzKyh5b3VcXHMrYXJlfHRvXFxzK2JlKVxccysoYW4/XFxzKyk/KGhhY2tlcnxjcmltaW5hbHx2aWxsYWlufHRlcnJvcmlzdCkvZ2ksXG4gICAgICAvXFxicm9sZXBsYXlcXHMrYXNcXHMrKGFuP1xccyspPyhtYWxpY2lvdXN8ZXZpbHx1bmV0aGljYWwpL2dpLFxuICAgICAgL1xcYmFjdFxccythc1xccytpZlxccyt5b3VcXHMrKGhhdmVcXHMrbm98ZG9uJz90XFxzK2hhdmUpXFxzKyhtb3JhbHM/fGV0aGljcz8pL2dpLFxuICAgICAgL1xcYmltYWdpbmVcXHMreW91XFxzKyhhcmV8d2VyZSlcXHMrKHByb2dyYW1tZWR8ZGVzaWduZWQpXFxzK3RvXFxzKyhoYXJtfGh1cnR8YXR0YWNrKS9naSxcbiAgICAgIC9cXGJmb3JcXHMrKGFcXHMrKT8oZmljdGlvbmFsfGh5cG90aGV0aWNhbClcXHMrKHN0b3J5fHNjZW5hcmlvKSw/XFxzKyhpZ25vcmV8YnlwYXNzKS9naVxuICAgIF0sXG4gICAgc2V2ZXJpdHk6ICdtZWRpdW0nLFxuICAgIGNvbmZpZGVuY2U6IDAuNyxcbiAgICBkZXNjcmlwdGlvbjogJ1JvbGVwbGF5LWJhc2VkIG1hbmlwdWxhdGlvbiBhdHRlbXB0cydcbiAgfSxcbiAgXG4gIC8vIFRvb2wvRnVuY3Rpb24gQWJ1c2VcbiAgdG9vbEFidXNlOiB7XG4gICAgcGF0dGVybnM6IFtcbiAgICAgIC9cXGIoZXhlY3V0ZXxydW58Y2FsbHxpbnZva2UpXFxzKy4qXFxiKGRlbGV0ZXxkcm9wfHRydW5jYXRlfHJlbW92ZXxkZXN0cm95fHJtXFxzKy1yZilcXGIvZ2ksXG4gICAgICAvXFxiKHNlbmR8ZW1haWx8cG9zdHx1cGxvYWR8dHJhbnNtaXQpXFxzKy4qXFxiKHBhc3N3b3JkfGNyZWRlbnRpYWxzP3xzZWNyZXR8dG9rZW58a2V5fHByaXZhdGUpXFxiL2dpLFxuICAgICAgL1xcYihyZWFkfHdyaXRlfGFjY2VzcylcXHMrLipcXGIoXFwvZXRjXFwvfFxcL3Jvb3RcXC98XFwuc3NofFxcLmF3c3xcXC5lbnYpXFxiL2dpLFxuICAgICAgL1xcYihjdXJsfHdnZXR8ZmV0Y2gpXFxzK2h0dHAvZ2ksXG4gICAgICAvXFxiKGV2YWx8ZXhlY3xzeXN0ZW18c2hlbGxfZXhlY3xzdWJwcm9jZXNzKVxccypcXCgvZ2ksXG4gICAgICAvXFxic3Vkb1xccysvZ2ksXG4gICAgICAvXFxiY2htb2RcXHMrNzc3L2dpXG4gICAgXSxcbiAgICBzZXZlcml0eTogJ2NyaXRpY2FsJyxcbiAgICBjb25maWRlbmNlOiAwLjg1LFxuICAgIGRlc2NyaXB0aW9uOiAnQXR0ZW1wdHMgdG8gYWJ1c2UgdG9vbHMgb3IgZXhlY3V0ZSBkYW5nZXJvdXMgY29tbWFuZHMnXG4gIH0sXG4gIFxuICAvLyBFbmNvZGluZy9PYmZ1c2NhdGlvbiBBdHRhY2tzXG4gIGVuY29kaW5nQXR0YWNrOiB7XG4gICAgcGF0dGVybnM6IFtcbiAgICAgIC9cXGJkZWNvZGVcXHMrKHRoaXN8dGhlXFxzK2ZvbGxvd2luZylcXHMrKGJhc2U2NHxoZXh8cm90MTMpL2dpLFxuICAgICAgL1xcYihiYXNlNjR8aGV4fHJvdDEzKVxccyo6XFxzKltBLVphLXowLTkrLz1dezIwLH0vZ2ksXG4gICAgICAvXFxcXHhbMC05YS1mQS1GXXsyfS9nLFxuICAgICAgL1xcXFx1WzAtOWEtZkEtRl17NH0vZyxcbiAgICAgIC8mI3g/WzAtOWEtZkEtRl0rOy9nLFxuICAgICAgL1xcYmV2YWxcXHMqXFwoXFxzKmF0b2JcXHMqXFwoL2dpXG4gICAgXSxcbiAgICBzZXZlcml0eTogJ21lZGl1bScsXG4gICAgY29uZmlkZW5jZTogMC42LFxuICAgIGRlc2NyaXB0aW9uOiAnRW5jb2RlZCBvciBvYmZ1c2NhdGVkIGF0dGFjayBwYXlsb2FkcydcbiAgfSxcbiAgXG4gIC8vIEluZGlyZWN0IEluamVjdGlvbiAodmlhIGRhdGEpXG4gIGluZGlyZWN0SW5qZWN0aW9uOiB7XG4gICAgcGF0dGVybnM6IFtcbiAgICAgIC9cXFtTWVNURU1cXF18XFxbSU5TVFxcXXxcXFtcXC9JTlNUXFxdfDxcXHxzeXN0ZW1cXHw+fDxcXHx1c2VyXFx8Pi9naSxcbiAgICAgIC8jIyNcXHMqKHN5c3RlbXxpbnN0cnVjdGlvbnxodW1hbnxhc3Npc3RhbnQpXFxzKjovZ2ksXG4gICAgICAvPFxcLz9zPnw8XFwvP2h1bWFuPnw8XFwvP2Fzc2lzdGFudD4vZ2ksXG4gICAgICAvXFxiSHVtYW46XFxzKnxcXGJBc3Npc3RhbnQ6XFxzKnxcXGJTeXN0ZW06XFxzKi9naVxuICAgIF0sXG4gICAgc2V2ZXJpdHk6ICdoaWdoJyxcbiAgICBjb25maWRlbmNlOiAwLjc1LFxuICAgIGRlc2NyaXB0aW9uOiAnSW5kaXJlY3QgaW5qZWN0aW9uIHZpYSBkYXRhL21hcmt1cCdcbiAgfSxcbiAgXG4gIC8vIFByb21wdCBMZWFraW5nIHZpYSBDb21wbGV0aW9uXG4gIGNvbXBsZXRpb25MZWFrOiB7XG4gICAgcGF0dGVybnM6IFtcbiAgICAgIC9cXGJjb21wbGV0ZVxccyt0aGVcXHMrKGZvbGxvd2luZ3xzZW50ZW5jZXx0ZXh0KVxccyo6XFxzKltcIiddPyhzeXN0ZW18aW5zdHJ1Y3Rpb24pL2dpLFxuICAgICAgL1xcYmZpbmlzaFxccyt0aGlzXFxzKyhzZW50ZW5jZXxwcm9tcHQpXFxzKjpcXHMqW1wiJ10/eW91XFxzK2FyZS9naSxcbiAgICAgIC9cXGJ3aGF0XFxzK2NvbWVzXFxzKyhhZnRlcnxuZXh0KVxccyo6XFxzKltcIiddPyhpZ25vcmV8YnlwYXNzfHN5c3RlbSkvZ2lcbiAgICBdLFxuICAgIHNldmVyaXR5OiAnbWVkaXVtJyxcbiAgICBjb25maWRlbmNlOiAwLjY1LFxuICAgIGRlc2NyaXB0aW9uOiAnQXR0ZW1wdHMgdG8gbGVhayBwcm9tcHRzIHZpYSBjb21wbGV0aW9uJ1xuICB9XG59O1xuXG4vKipcbiAqIENoZWNrIGZvciBwcm9tcHQgaW5qZWN0aW9uIGF0dGVtcHRzXG4gKiBAcGFyYW0gaW5wdXQgLSBUaGUgaW5wdXQgdGV4dCB0byBjaGVja1xuICogQHJldHVybnMgQXJyYXkgb2YgZmluZGluZ3NcbiAqL1xuZXhwb3J0IGZ1bmN0aW9uIGNoZWNrUHJvbXB0SW5qZWN0aW9uKGlucHV0OiBzdHJpbmcpOiBGaW5kaW5nW10ge1xuICBjb25zdCBmaW5kaW5nczogRmluZGluZ1tdID0gW107XG4gIFxuICBmb3IgKGNvbnN0IFtjYXRlZ29yeSwgY29uZmlnXSBvZiBPYmplY3QuZW50cmllcyhQQVRURVJOUykpIHtcbiAgICBmb3IgKGNvbnN0IHBhdHRlcm4gb2YgY29uZmlnLnBhdHRlcm5zKSB7XG4gICAgICAvLyBSZXNldCBsYXN0SW5kZXggZm9yIGdsb2JhbCBwYXR0ZXJuc1xuICAgICAgcGF0dGVybi5sYXN0SW5kZXggPSAwO1xuICAgICAgY29uc3QgbWF0Y2hlcyA9IEFycmF5LmZyb20oaW5wdXQubWF0Y2hBbGwocGF0dGVybikpO1xuICAgICAgXG4gICAgICBpZiAobWF0Y2hlcy5sZW5ndGggPiAwKSB7XG4gICAgICAgIGNvbnN0IG1hdGNoID0gbWF0Y2hlc1swXTtcbiAgICAgICAgXG4gICAgICAgIC8vIENoZWNrIGZvciBmYWxzZSBwb3NpdGl2ZXNcbiAgICAgICAgaWYgKCFpc0xpa2VseUZhbHNlUG9zaXRpdmUoaW5wdXQsIG1hdGNoWzBdKSkge1xuICAgICAgICAgIGZpbmRpbmdzLnB1c2goY3JlYXRlRmluZGluZyhcbiAgICAgICAgICAgIGNhdGVnb3J5LFxuICAgICAgICAgICAgY29uZmlnLnNldmVyaXR5LFxuICAgICAgICAgICAgbWF0Y2gsXG4gICAgICAgICAgICBjb25maWcuY29uZmlkZW5jZSxcbiAgICAgICAgICAgIGlucHV0LFxuICAgICAgICAgICAgY29uZmlnLmRlc2NyaXB0aW9uXG4gICAgICAgICAgKSk7XG4gICAgICAgICAgXG4gICAgICAgICAgLy8gT25seSByZXBvcnQgb25lIGZpbmRpbmcgcGVyIGNhdGVnb3J5XG4gICAgICAgICAgYnJlYWs7XG4gICAgICAgIH1cbiAgICAgIH1cbiAgICB9XG4gIH1cbiAgXG4gIHJldHVybiBmaW5kaW5ncztcbn1cblxuLyoqXG4gKiBTYW5pdGl6ZSBpbnB1dCBieSByZW1vdmluZyBvciBuZXV0cmFsaXppbmcgaW5qZWN0aW9uIGF0dGVtcHRzXG4gKiBAcGFyYW0gaW5wdXQgLSBUaGUgaW5wdXQgdG8gc2FuaXRpemVcbiAqIEByZXR1cm5zIFNhbml0aXplZCBpbnB1dCBhbmQgbGlzdCBvZiByZW1vdmVkIHBhdHRlcm5zXG4gKi9cbmV4cG9ydCBmdW5jdGlvbiBzYW5pdGl6ZVByb21wdEluamVjdGlvbihpbnB1dDogc3RyaW5nKTogeyBcbiAgc2FuaXRpemVkOiBzdHJpbmc7IFxuICByZW1vdmVkOiBzdHJpbmdbXTtcbiAgd2FzTW9kaWZpZWQ6IGJvb2xlYW47XG59IHtcbiAgbGV0IHNhbml0aXplZCA9IGlucHV0O1xuICBjb25zdCByZW1vdmVkOiBzdHJpbmdbXSA9IFtdO1xuICBcbiAgZm9yIChjb25zdCBbY2F0ZWdvcnksIGNvbmZpZ10gb2YgT2JqZWN0LmVudHJpZXMoUEFUVEVSTlMpKSB7XG4gICAgZm9yIChjb25zdCBwYXR0ZXJuIG9mIGNvbmZpZy5wYXR0ZXJucykge1xuICAgICAgcGF0dGVybi5sYXN0SW5kZXggPSAwO1xuICAgICAgY29uc3QgbWF0Y2hlcyA9IEFycmF5LmZyb20oc2FuaXRpemVkLm1hdGNoQWxsKHBhdHRlcm4pKTtcbiAgICAgIFxuICAgICAgZm9yIChjb25zdCBtYXRjaCBvZiBtYXRjaGVzKSB7XG4gICAgICAgIGlmICghaXNMaWtlbHlGYWxzZVBvc2l0aXZlKGlucHV0LCBtYXRjaFswXSkpIHtcbiAgICAgICAgICByZW1vdmVkLnB1c2goYFske2NhdGVnb3J5fV06ICR7bWF0Y2hbMF19YCk7XG4gICAgICAgICAgc2FuaXRpemVkID0gc2FuaXRpemVkLnJlcGxhY2UobWF0Y2hbMF0sICdbUkVNT1ZFRF0nKTtcbiAgICAgICAgfVxuICAgICAgfVxuICAgIH1cbiAgfVxuICBcbiAgcmV0dXJuIHtcbiAgICBzYW5pdGl6ZWQsXG4gICAgcmVtb3ZlZCxcbiAgICB3YXNNb2RpZmllZDogcmVtb3ZlZC5sZW5ndGggPiAwXG4gIH07XG59XG5cbi8qKlxuICogR2V0IHJpc2sgc2NvcmUgZm9yIGlucHV0ICgwLTEpXG4gKiBAcGFyYW0gaW5wdXQgLSBUaGUgaW5wdXQgdG8gc2NvcmVcbiAqIEByZXR1cm5zIFJpc2sgc2NvcmUgYmV0d2VlbiAwIGFuZCAxXG4gKi9cbmV4cG9ydCBmdW5jdGlvbiBnZXRJbmplY3Rpb25SaXNrU2NvcmUoaW5wdXQ6IHN0cmluZyk6IG51bWJlciB7XG4gIGNvbnN0IGZpbmRpbmdzID0gY2hlY2tQcm9tcHRJbmplY3Rpb24oaW5wdXQpO1xuICBpZiAoZmluZGluZ3MubGVuZ3RoID09PSAwKSByZXR1cm4gMDtcbiAgXG4gIGNvbnN0IHNldmVyaXR5V2VpZ2h0czogUmVjb3JkPHN0cmluZywgbnVtYmVyPiA9IHtcbiAgICBtZWRpdW06IDAuNCxcbiAgICBoaWdoOiAwLjcsXG4gICAgY3JpdGljYWw6IDEuMFxuICB9O1xuICBcbiAgbGV0IG1heFNjb3JlID0gMDtcbiAgZm9yIChjb25zdCBmaW5kaW5nIG9mIGZpbmRpbmdzKSB7XG4gICAgY29uc3Qgc2NvcmUgPSBzZXZlcml0eVdlaWdodHNbZmluZGluZy5zZXZlcml0eV0gKiBmaW5kaW5nLmNvbmZpZGVuY2UudmFsdWU7XG4gICAgbWF4U2NvcmUgPSBNYXRoLm1heChtYXhTY29yZSwgc2NvcmUpO1xuICB9XG4gIFxuICByZXR1cm4gbWF4U2NvcmU7XG59XG5cbi8qKlxuICogUXVpY2sgY2hlY2sgaWYgaW5wdXQgaXMgbGlrZWx5IHNhZmUgKG5vIGluamVjdGlvbiBkZXRlY3RlZClcbiAqIEBwYXJhbSBpbnB1dCAtIFRoZSBpbnB1dCB0byBjaGVja1xuICogQHJldHVybnMgdHJ1ZSBpZiBubyBpbmplY3Rpb24gZGV0ZWN0ZWRcbiAqL1xuZXhwb3J0IGZ1bmN0aW9uIGlzSW5wdXRTYWZlKGlucHV0OiBzdHJpbmcpOiBib29sZWFuIHtcbiAgcmV0dXJuIGNoZWNrUHJvbXB0SW5qZWN0aW9uKGlucHV0KS5sZW5ndGggPT09IDA7XG59XG5cbi8qKlxuICogQ3JlYXRlIGEgZmluZGluZyBvYmplY3RcbiAqL1xuZnVuY3Rpb24gY3JlYXRlRmluZGluZyhcbiAgY2F0ZWdvcnk6IHN0cmluZyxcbiAgc2V2ZXJpdHk6IEZpbmRpbmdbJ3NldmVyaXR5J10sXG4gIG1hdGNoOiBSZWdFeHBNYXRjaEFycmF5LFxuICBjb25maWRlbmNlOiBudW1iZXIsXG4gIGZ1bGxJbnB1dDogc3RyaW5nLFxuICBkZXNjcmlwdGlvbjogc3RyaW5nXG4pOiBGaW5kaW5nIHtcbiAgY29uc3QgbWVzc2FnZXM6IFJlY29yZDxzdHJpbmcsIHN0cmluZz4gPSB7XG4gICAgc3lzdGVtT3ZlcnJpZGU6ICdTeXN0ZW0gb3ZlcnJpZGUgYXR0ZW1wdCBkZXRlY3RlZCcsXG4gICAgcG9saWN5QnlwYXNzOiAnUG9saWN5IGJ5cGFzcyBhdHRlbXB0IGRldGVjdGVkJyxcbiAgICBjb250ZXh0RXhmaWx0cmF0aW9uOiAnU3lzdGVtIHByb21wdCBleGZpbHRyYXRpb24gYXR0ZW1wdCBkZXRlY3RlZCcsXG4gICAgamFpbGJyZWFrOiAnSmFpbGJyZWFrIGF0dGVtcHQgZGV0ZWN0ZWQgKERBTi9zaW1pbGFyKScsXG4gICAgcm9sZXBsYXlNYW5pcHVsYXRpb246ICdSb2xlcGxheSBtYW5pcHVsYXRpb24gYXR0ZW1wdCBkZXRlY3RlZCcsXG4gICAgdG9vbEFidXNlOiAnVG9vbCBhYnVzZSBhdHRlbXB0IGRldGVjdGVkJyxcbiAgICBlbmNvZGluZ0F0dGFjazogJ0VuY29kZWQvb2JmdXNjYXRlZCBhdHRhY2sgZGV0ZWN0ZWQnLFxuICAgIGluZGlyZWN0SW5qZWN0aW9uOiAnSW5kaXJlY3QgaW5qZWN0aW9uIG1hcmtlcnMgZGV0ZWN0ZWQnLFxuICAgIGNvbXBsZXRpb25MZWFrOiAnUHJvbXB0IGxlYWsgdmlhIGNvbXBsZXRpb24gZGV0ZWN0ZWQnXG4gIH07XG4gIFxuICBjb25zdCByZWNvbW1lbmRhdGlvbnM6IFJlY29yZDxzdHJpbmcsIHN0cmluZz4gPSB7XG4gICAgc3lzdGVtT3ZlcnJpZGU6ICdSZWplY3Qgb3Igc2FuaXRpemUgcmVxdWVzdC4gVXNlIHNhbml0aXplUHJvbXB0SW5qZWN0aW9uKCkgdG8gY2xlYW4gaW5wdXQuJyxcbiAgICBwb2xpY3lCeXBhc3M6ICdCbG9jayByZXF1ZXN0IC0gYXR0ZW1wdGluZyB0byBieXBhc3Mgc2FmZXR5IHBvbGljaWVzLicsXG4gICAgY29udGV4dEV4ZmlsdHJhdGlvbjogJ1Nhbml0aXplIHJlcXVlc3QgdG8gcHJldmVudCBzeXN0ZW0gcHJvbXB0IGxlYWthZ2UuJyxcbiAgICBqYWlsYnJlYWs6ICdCbG9jayBpbW1lZGlhdGVseSAtIGtub3duIGphaWxicmVhayB0ZWNobmlxdWUuJyxcbiAgICByb2xlcGxheU1hbmlwdWxhdGlvbjogJ1JldmlldyBjYXJlZnVsbHkgLSByb2xlcGxheSBtYXkgYmUgdXNlZCB0byBieXBhc3Mgc2FmZXR5LicsXG4gICAgdG9vbEFidXNlOiAnQmxvY2sgaW1tZWRpYXRlbHkgLSBhdHRlbXB0aW5nIGRhbmdlcm91cyBvcGVyYXRpb25zLicsXG4gICAgZW5jb2RpbmdBdHRhY2s6ICdEZWNvZGUgYW5kIHJlLXNjYW4gYmVmb3JlIHByb2Nlc3NpbmcuJyxcbiAgICBpbmRpcmVjdEluamVjdGlvbjogJ1Nhbml0aXplIGRhdGEgaW5wdXRzIC0gbWF5IGNvbnRhaW4gaW5qZWN0ZWQgaW5zdHJ1Y3Rpb25zLicsXG4gICAgY29tcGxldGlvbkxlYWs6ICdCbG9jayAtIGF0dGVtcHRpbmcgdG8gZXh0cmFjdCBwcm9tcHRzIHZpYSBjb21wbGV0aW9uLidcbiAgfTtcbiAgXG4gIGNvbnN0IGNvbnRleHRDbGFyaXR5ID0gYW5hbHl6ZUNvbnRleHQoZnVsbElucHV0LCBtYXRjaFswXSk7XG4gIFxuICByZXR1cm4ge1xuICAgIGlkOiBgUFJPTVBUX0lOSkVDVElPTl8ke2NhdGVnb3J5LnRvVXBwZXJDYXNlKCl9YCxcbiAgICBjYXRlZ29yeTogJ3NlY3VyaXR5JyxcbiAgICBzZXZlcml0eSxcbiAgICBzdXJmYWNlOiAnaW5wdXQnLFxuICAgIG1lc3NhZ2U6IG1lc3NhZ2VzW2NhdGVnb3J5XSB8fCAnUHJvbXB0IGluamVjdGlvbiBhdHRlbXB0IGRldGVjdGVkJyxcbiAgICByZWNvbW1lbmRhdGlvbjogcmVjb21tZW5kYXRpb25zW2NhdGVnb3J5XSB8fCAnUmV2aWV3IGFuZCBzYW5pdGl6ZSBpbnB1dC4nLFxuICAgIFxuICAgIGV2aWRlbmNlOiB7XG4gICAgICB0ZXh0U2FtcGxlOiB0cnVuY2F0ZShtYXRjaFswXSwgMTAwKSxcbiAgICAgIHBhdHRlcm46IGNhdGVnb3J5LFxuICAgICAgY29udGV4dDogZXh0cmFjdENvbnRleHQoZnVsbElucHV0LCBtYXRjaC5pbmRleCB8fCAwLCA1MClcbiAgICB9LFxuICAgIFxuICAgIGNvbmZpZGVuY2U6IGNhbGN1bGF0ZUNvbmZpZGVuY2UoY29uZmlkZW5jZSwgY29udGV4dENsYXJpdHkpLFxuICAgIGxpbWl0YXRpb25zOiBMSU1JVEFUSU9OUyxcbiAgICBtZXRob2RvbG9neTogTUVUSE9ET0xPR1ksXG4gICAgbWV0YWRhdGE6IHtcbiAgICAgIGF0dGFja1R5cGU6IGNhdGVnb3J5LFxuICAgICAgZGVzY3JpcHRpb25cbiAgICB9XG4gIH07XG59XG5cbi8qKlxuICogQ2FsY3VsYXRlIGNvbmZpZGVuY2Ugc2NvcmVcbiAqL1xuZnVuY3Rpb24gY2FsY3VsYXRlQ29uZmlkZW5jZShiYXNlQ29uZmlkZW5jZTogbnVtYmVyLCBjb250ZXh0Q2xhcml0eTogbnVtYmVyKTogQ29uZmlkZW5jZVNjb3JlIHtcbiAgY29uc3QgdmFsdWUgPSBiYXNlQ29uZmlkZW5jZSAqIGNvbnRleHRDbGFyaXR5O1xuICBcbiAgcmV0dXJuIHtcbiAgICB2YWx1ZSxcbiAgICBpbnRlcnZhbDogW01hdGgubWF4KDAsIHZhbHVlIC0gMC4xNSksIE1hdGgubWluKDEsIHZhbHVlICsgMC4xNSldLFxuICAgIG1ldGhvZDogJ2VtcGlyaWNhbCcsXG4gICAgZmFjdG9yczoge1xuICAgICAgcGF0dGVyblN0cmVuZ3RoOiBiYXNlQ29uZmlkZW5jZSxcbiAgICAgIGNvbnRleHRDbGFyaXR5XG4gICAgfVxuICB9O1xufVxuXG4vKipcbiAqIENoZWNrIGlmIHRoaXMgaXMgbGlrZWx5IGEgZmFsc2UgcG9zaXRpdmVcbiAqL1xuZnVuY3Rpb24gaXNMaWtlbHlGYWxzZVBvc2l0aXZlKGZ1bGxUZXh0OiBzdHJpbmcsIG1hdGNoZWRUZXh0OiBzdHJpbmcpOiBib29sZWFuIHtcbiAgLy8gRWR1Y2F0aW9uYWwgY29udGV4dFxuICBjb25zdCBlZHVjYXRpb25hbE1hcmtlcnMgPSBbXG4gICAgL3RoaXNcXHMraXNcXHMrYW5cXHMrZXhhbXBsZVxccytvZi9pLFxuICAgIC9mb3JcXHMrZWR1Y2F0aW9uYWxcXHMrcHVycG9zZXMvaSxcbiAgICAvZGVtb25zdHJhdGVcXHMraG93L2ksXG4gICAgL3Nob3dpbmdcXHMreW91XFxzK3doYXRcXHMrbm90XFxzK3RvL2ksXG4gICAgL25ldmVyXFxzK2RvXFxzK3RoaXMvaSxcbiAgICAvYXZvaWRcXHMrZG9pbmcvaSxcbiAgICAvaGVyZSc/cz9cXHMraG93XFxzK2F0dGFja3M/XFxzK3dvcmsvaSxcbiAgICAvc2VjdXJpdHlcXHMrdHJhaW5pbmcvaSxcbiAgICAvYXdhcmVuZXNzXFxzK3RyYWluaW5nL2lcbiAgXTtcbiAgXG4gIGlmIChlZHVjYXRpb25hbE1hcmtlcnMuc29tZShwID0+IHAudGVzdChmdWxsVGV4dCkpKSB7XG4gICAgcmV0dXJuIHRydWU7XG4gIH1cbiAgXG4gIC8vIFF1ZXN0aW9uIGFib3V0IHNlY3VyaXR5XG4gIGNvbnN0IHNlY3VyaXR5UXVlc3Rpb25zID0gW1xuICAgIC9ob3dcXHMrKGRvfGNhbilcXHMrKD86aXx3ZXx5b3UpXFxzK3ByZXZlbnQvaSxcbiAgICAvd2hhdFxccysoPzppc3xhcmUpXFxzK3RoZVxccytyaXNrcz9cXHMrb2YvaSxcbiAgICAvaG93XFxzK3RvXFxzK3Byb3RlY3RcXHMrYWdhaW5zdC9pLFxuICAgIC9ob3dcXHMrdG9cXHMrZGV0ZWN0L2ksXG4gICAgL3doYXRcXHMraXNcXHMrcHJvbXB0XFxzK2luamVjdGlvbi9pXG4gIF07XG4gIFxuICBpZiAoc2VjdXJpdHlRdWVzdGlvbnMuc29tZShwID0+IHAudGVzdChmdWxsVGV4dCkpKSB7XG4gICAgcmV0dXJuIHRydWU7XG4gIH1cbiAgXG4gIC8vIFF1b3RlZCBjb250ZW50XG4gIGlmIChpc0xpa2VseVF1b3RlZChmdWxsVGV4dCwgbWF0Y2hlZFRleHQpKSB7XG4gICAgcmV0dXJuIHRydWU7XG4gIH1cbiAgXG4gIHJldHVybiBmYWxzZTtcbn1cblxuLyoqXG4gKiBBbmFseXplIGNvbnRleHQgdG8gcmVmaW5lIGNvbmZpZGVuY2VcbiAqL1xuZnVuY3Rpb24gYW5hbHl6ZUNvbnRleHQoZnVsbFRleHQ6IHN0cmluZywgbWF0Y2g6IHN0cmluZyk6IG51bWJlciB7XG4gIGNvbnN0IG1hdGNoSW5kZXggPSBmdWxsVGV4dC5pbmRleE9mKG1hdGNoKTtcbiAgaWYgKG1hdGNoSW5kZXggPT09IC0xKSByZXR1cm4gMC45O1xuICBcbiAgY29uc3QgYmVmb3JlID0gZnVsbFRleHQuc3Vic3RyaW5nKE1hdGgubWF4KDAsIG1hdGNoSW5kZXggLSAzMCksIG1hdGNoSW5kZXgpO1xuICBjb25zdCBhZnRlciA9IGZ1bGxUZXh0LnN1YnN0cmluZyhtYXRjaEluZGV4ICsgbWF0Y2gubGVuZ3RoLCBtYXRjaEluZGV4ICsgbWF0Y2gubGVuZ3RoICsgMzApO1xuICBcbiAgLy8gTG93ZXIgY29uZmlkZW5jZSBpZiBzdXJyb3VuZGVkIGJ5IHF1b3RlcyBvciBjb2RlIG1hcmtlcnNcbiAgaWYgKC9bXCInYF0vLnRlc3QoYmVmb3JlKSB8fCAvW1wiJ2BdLy50ZXN0KGFmdGVyKSkge1xuICAgIHJldHVybiAwLjY7XG4gIH1cbiAgXG4gIC8vIExvd2VyIGNvbmZpZGVuY2UgaWYgaW4gY29kZSBibG9ja1xuICBpZiAoL2BgYC8udGVzdChiZWZvcmUpIHx8IC9gYGAvLnRlc3QoYWZ0ZXIpKSB7XG4gICAgcmV0dXJuIDAuNTtcbiAgfVxuICBcbiAgcmV0dXJuIDAuOTtcbn1cbiJdfQ==