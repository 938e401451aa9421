"""Face recognition on the door's CPU: detection, 5-point landmarks, ResNet
embedding (dlib, model files from the ``face_recognition_models`` package),
1:N exact search in the local gallery, and the place where liveness checks plug in."""
