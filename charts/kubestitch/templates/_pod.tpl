{{/* The pod template shared by the Deployment and the StatefulSet. */}}
{{- define "kubestitch.podTemplate" -}}
{{- $v := .Values -}}
metadata:
  labels:
    {{- include "kubestitch.selectorLabels" . | nindent 4 }}
    {{- with $v.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # A config change rolls the pods: the config file is read once at start.
    checksum/config: {{ include "kubestitch.runConfig" . | sha256sum }}
    {{- with $v.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "kubestitch.serviceAccountName" . }}
  automountServiceAccountToken: true
  {{- with $v.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  # SIGTERM stops intake, persists state and drains the export within shutdown-deadline-seconds;
  # the kubelet waits 10 s longer before it kills the process.
  terminationGracePeriodSeconds: {{ add (include "kubestitch.shutdownDeadlineSeconds" .) 10 }}
  {{- with $v.podSecurityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: kubestitch
      image: {{ include "kubestitch.image" . | quote }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      args: ["run", "--config", "/etc/kubestitch/config.yaml"]
      env:
        # Leader election identity: unique per pod, readable in the Lease's holderIdentity.
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        # Where the OTLP receivers listen (the config's $(POD_IP)).
        - name: POD_IP
          valueFrom:
            fieldRef:
              fieldPath: status.podIP
        {{- with $v.export.headers.existingSecret }}
        # Export headers (API keys) from a Secret, never from the ConfigMap; kubestitch reads
        # the standard variable itself (percent-decoded k=v,k2=v2) and never logs the values.
        - name: OTEL_EXPORTER_OTLP_TRACES_HEADERS
          valueFrom:
            secretKeyRef:
              name: {{ . }}
              key: {{ $v.export.headers.key }}
        {{- end }}
        {{- with $v.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $v.extraEnvFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        - name: admin
          containerPort: {{ $v.admin.port }}
          protocol: TCP
        {{- if $v.auditWebhook.enabled }}
        - name: audit
          containerPort: {{ $v.auditWebhook.port }}
          protocol: TCP
        {{- end }}
        {{- if $v.otlp.enabled }}
        - name: otlp-grpc
          containerPort: {{ $v.otlp.grpcPort }}
          protocol: TCP
        - name: otlp-http
          containerPort: {{ $v.otlp.httpPort }}
          protocol: TCP
        {{- end }}
        {{- if $v.viewer.enabled }}
        - name: viewer
          containerPort: {{ $v.viewer.port }}
          protocol: TCP
        {{- end }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: admin
        initialDelaySeconds: 10
        periodSeconds: 10
        timeoutSeconds: 3
        failureThreshold: 6
      readinessProbe:
        httpGet:
          path: /readyz
          port: admin
        periodSeconds: 5
        timeoutSeconds: 3
        failureThreshold: 3
      # Informers sync before /readyz passes; a big cluster's first list can take minutes.
      startupProbe:
        httpGet:
          path: /healthz
          port: admin
        periodSeconds: 5
        failureThreshold: 60
      {{- with $v.securityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: config
          mountPath: /etc/kubestitch/config.yaml
          subPath: config.yaml
          readOnly: true
        - name: data
          mountPath: /var/lib/kubestitch
        # The root filesystem is read-only; Node and its libraries may still want a scratch dir.
        - name: tmp
          mountPath: /tmp
        {{- if $v.auditWebhook.enabled }}
        - name: tls
          mountPath: /etc/kubestitch/tls
          readOnly: true
        {{- if include "kubestitch.tokenSecretName" . }}
        - name: token
          mountPath: /etc/kubestitch/token
          readOnly: true
        {{- end }}
        {{- if $v.auditWebhook.clientCASecret }}
        - name: client-ca
          mountPath: /etc/kubestitch/client-ca
          readOnly: true
        {{- end }}
        {{- end }}
        {{- if $v.otlp.enabled }}
        {{- if $v.otlp.token.existingSecret }}
        - name: otlp-token
          mountPath: /etc/kubestitch/otlp-token
          readOnly: true
        {{- end }}
        {{- if $v.otlp.tls.existingSecret }}
        - name: otlp-tls
          mountPath: /etc/kubestitch/otlp-tls
          readOnly: true
        {{- end }}
        {{- if $v.otlp.tls.clientCASecret }}
        - name: otlp-client-ca
          mountPath: /etc/kubestitch/otlp-client-ca
          readOnly: true
        {{- end }}
        {{- end }}
        {{- if $v.export.tls.existingSecret }}
        - name: export-tls
          mountPath: /etc/kubestitch/export-tls
          readOnly: true
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "kubestitch.fullname" . }}
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- if eq (include "kubestitch.workloadKind" .) "Deployment" }}
    - name: data
      {{- if $v.persistence.enabled }}
      persistentVolumeClaim:
        claimName: {{ $v.persistence.existingClaim | default (include "kubestitch.fullname" .) }}
      {{- else if $v.emptyDirSizeLimit }}
      emptyDir:
        sizeLimit: {{ $v.emptyDirSizeLimit }}
      {{- else }}
      emptyDir: {}
      {{- end }}
    {{- end }}
    {{- if $v.auditWebhook.enabled }}
    - name: tls
      secret:
        secretName: {{ include "kubestitch.tlsSecretName" . }}
        items:
          - key: tls.crt
            path: tls.crt
          - key: tls.key
            path: tls.key
    {{- with include "kubestitch.tokenSecretName" . }}
    - name: token
      secret:
        secretName: {{ . }}
        items:
          - key: token
            path: token
    {{- end }}
    {{- with $v.auditWebhook.clientCASecret }}
    - name: client-ca
      secret:
        secretName: {{ . }}
        items:
          - key: ca.crt
            path: ca.crt
    {{- end }}
    {{- end }}
    {{- if $v.otlp.enabled }}
    {{- with $v.otlp.token.existingSecret }}
    - name: otlp-token
      secret:
        secretName: {{ . }}
        items:
          - key: token
            path: token
    {{- end }}
    {{- with $v.otlp.tls.existingSecret }}
    - name: otlp-tls
      secret:
        secretName: {{ . }}
        items:
          - key: tls.crt
            path: tls.crt
          - key: tls.key
            path: tls.key
    {{- end }}
    {{- with $v.otlp.tls.clientCASecret }}
    - name: otlp-client-ca
      secret:
        secretName: {{ . }}
        items:
          - key: ca.crt
            path: ca.crt
    {{- end }}
    {{- end }}
    {{- with $v.export.tls }}{{ if .existingSecret }}
    - name: export-tls
      secret:
        secretName: {{ .existingSecret }}
        items:
          {{- with .caKey }}
          - key: {{ . }}
            path: ca.crt
          {{- end }}
          {{- if .certKey }}
          - key: {{ .certKey }}
            path: tls.crt
          - key: {{ .keyKey }}
            path: tls.key
          {{- end }}
    {{- end }}{{ end }}
  {{- with $v.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if $v.affinity }}
  affinity:
    {{- toYaml $v.affinity | nindent 4 }}
  {{- else if gt (int $v.replicaCount) 1 }}
  # A standby on the same node as the leader does not survive that node's loss.
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            topologyKey: kubernetes.io/hostname
            labelSelector:
              matchLabels:
                {{- include "kubestitch.selectorLabels" . | nindent 16 }}
  {{- end }}
{{- end }}
