package recognition

// The model files go-face's NewRecognizer(dir) loads from one directory,
// declared here once for the engine (recognition/dlib), the installer
// (models) and the tests (internal/testdata).
const (
	// LandmarksFile is the landmark shape predictor. Debian's 68-point
	// model installed under this 5-point name makes go-face return 68
	// landmarks (see models/README.md).
	LandmarksFile = "shape_predictor_5_face_landmarks.dat"
	// ResNetFile is dlib's face recognition ResNet (128-d descriptors).
	ResNetFile = "dlib_face_recognition_resnet_model_v1.dat"
	// CNNDetectorFile is dlib's CNN (MMOD) face detector.
	CNNDetectorFile = "mmod_human_face_detector.dat"
)

// ModelFiles lists the three files in the order go-face loads them.
func ModelFiles() []string { return []string{LandmarksFile, ResNetFile, CNNDetectorFile} }
